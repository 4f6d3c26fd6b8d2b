// scripts/fleet-enroll.sh end to end over the CLI (from source) and a fake local API: one JSON line
// per run, enrollment with a token file and the password on stdin, an already-enrolled machine left
// alone, and failures reported with their code and exit code.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FAKE_PASSWORD, type FakeDaemon, startFakeDaemon } from '../cli/testing/fake-daemon.js';
import { loadOrCreatePki } from '../server/pki/embedded-pki.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const script = join(repo, 'scripts/fleet-enroll.sh');
const TOKEN = `viw_et_${'B'.repeat(43)}`;

describe('fleet-enroll.sh', () => {
  let dir: string;
  let fake: FakeDaemon;
  let args: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-fleet-'));
    const pki = await loadOrCreatePki(dir, { commonName: 'localhost', dns: ['localhost'] });
    writeFileSync(join(dir, 'root.crt'), pki.rootPem);
    writeFileSync(join(dir, 'fleet.token'), `${TOKEN}\n`, { mode: 0o600 });
    const p = pki.backendApi.pins;
    args = ['--backend', 'https://vpn.test:8443', '--ca', join(dir, 'root.crt'), '--pin', p.primary_b64];
    args.push('--pin', p.backup_b64, '--username', 'bob', '--no-install');
    fake = await startFakeDaemon(null);
  });
  after(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (extra: string[], stdin: string) => {
    // Asynchronous, so the fake daemon in this process keeps answering.
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', [script, ...args, ...extra], {
        env: {
          ...process.env,
          VIWORKS: `${process.execPath} --import tsx ${join(repo, 'cli/bin/dev.ts')}`,
          VIWORKSD_SOCKET: fake.socketPath,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(stdin);
    });
  };
  const oneLine = (stdout: string) => {
    const lines = stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, stdout);
    return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  };

  it('a wrong password: ok false with the code, exit 3', async () => {
    const r = await run(['--token-file', join(dir, 'fleet.token')], 'wrong-password\n');
    const line = oneLine(r.stdout);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(line.ok, false);
    assert.equal((line.error as { code: string }).code, 'VIW_E_AUTH_FAILED');
  });

  it('enrolls with the token file and the password from stdin', async () => {
    const r = await run(['--token-file', join(dir, 'fleet.token')], `${FAKE_PASSWORD}\n`);
    assert.equal(r.code, 0, r.stderr);
    const line = oneLine(r.stdout);
    assert.deepEqual(Object.keys(line), ['host', 'ok', 'device_id', 'status', 'error']);
    assert.equal(line.ok, true);
    assert.equal(line.status, 'active');
    assert.equal(line.error, null);
    const sent = fake.requests.filter((x) => x.path === '/v1/enroll').at(-1)?.body;
    assert.equal(sent?.enrollment_token, TOKEN);
    assert.equal(sent?.password, FAKE_PASSWORD);
  });

  it('already enrolled: ok, nothing sent again, stdin not needed', async () => {
    const before = fake.requests.filter((x) => x.path === '/v1/enroll').length;
    const r = await run([], '');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(oneLine(r.stdout).ok, true);
    assert.equal(fake.requests.filter((x) => x.path === '/v1/enroll').length, before);
  });

  it('missing arguments: one JSON line, exit 2', async () => {
    const child = spawnSync('bash', [script, '--no-install'], { encoding: 'utf8' });
    assert.equal(child.status, 2);
    assert.equal((oneLine(child.stdout).error as { code: string }).code, 'VIW_E_VALIDATION');
  });
});
