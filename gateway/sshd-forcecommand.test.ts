// viworks-gw behind the real OpenSSH sshd, as on a gateway: the control key's authorized_keys line
// (rendered by gateway/render) forces viworks-gw; the client is ssh2 with the host key pinned by its
// SHA256 fingerprint. Covers a valid verb, a disallowed command, a shell request, and a secret sent
// on stdin that must not reach the audit log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, type ClientChannel } from 'ssh2';
import type { GatewayReply } from '../core/gateway/control.js';
import { NsProcess, runOk } from '../scripts/testkit/netns.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { freePort } from '../scripts/testkit/ports.js';
import { renderAuthorizedKeysLine } from './render/authorized-keys.js';
import { renderSshdConfig } from './render/sshd-config.js';
import { GW_BIN } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';

const SSHD = '/usr/sbin/sshd';
const peers = needPeers({ binaries: [SSHD, '/usr/bin/ssh-keygen'], root: true, apt: 'openssh-server' });
const TSX_LOADER = fileURLToPath(import.meta.resolve('tsx'));

interface ExecOutcome {
  readonly stdout: string;
  readonly code: number | null;
}

function collect(stream: ClientChannel, input?: string): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    let stdout = '';
    let code: number | null = null;
    stream.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    stream.stderr.on('data', () => {});
    stream.on('exit', (c: number | null) => {
      code = c;
    });
    stream.on('close', () => resolve({ stdout, code }));
    stream.end(input ?? '');
  });
}

describe('viworks-gw as the ForceCommand of a real sshd', { skip: peers.skip, timeout: 120_000 }, () => {
  let dir = '';
  let fx: NodeConfigFixture | undefined;
  let sshd: NsProcess | undefined;
  let port = 0;
  let hostFingerprint = '';
  let clientKey: Buffer = Buffer.alloc(0);

  function connect(): Promise<Client> {
    return new Promise((resolve, reject) => {
      const conn = new Client();
      conn.once('ready', () => resolve(conn)).once('error', reject);
      conn.connect({
        host: '127.0.0.1',
        port,
        username: 'root',
        privateKey: clientKey,
        // Pinned host key: never connect to whatever answers.
        hostVerifier: (key: Buffer) =>
          createHash('sha256').update(key).digest('base64').replace(/=+$/, '') === hostFingerprint,
        readyTimeout: 20_000,
      });
    });
  }

  async function exec(command: string, input?: string): Promise<ExecOutcome & { reply: GatewayReply }> {
    const conn = await connect();
    try {
      const stream = await new Promise<ClientChannel>((resolve, reject) =>
        conn.exec(command, (err, s) => (err ? reject(err) : resolve(s))),
      );
      const out = await collect(stream, input);
      return { ...out, reply: JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as GatewayReply };
    } finally {
      conn.end();
    }
  }

  const audit = () =>
    readFileSync(fx!.config.audit_log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    // StrictModes checks every directory up to / : /tmp is world-writable, /run is not.
    dir = mkdtempSync('/run/viw-sshd-');
    chmodSync(dir, 0o755);
    fx = createNodeConfig();
    port = await freePort();
    await runOk(['/usr/bin/ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    await runOk(['/usr/bin/ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'control_key')]);
    const fp = await runOk(['/usr/bin/ssh-keygen', '-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')]);
    hostFingerprint = /SHA256:([A-Za-z0-9+/]+)/.exec(fp)?.[1] ?? '';
    clientKey = readFileSync(join(dir, 'control_key'));
    const command = `${process.execPath} --import ${TSX_LOADER} ${GW_BIN} --config ${fx.path}`;
    const pub = readFileSync(join(dir, 'control_key.pub'), 'utf8');
    writeFileSync(join(dir, 'authorized_keys'), `${renderAuthorizedKeysLine(pub, command)}\n`, {
      mode: 0o600,
    });
    const cfg = renderSshdConfig(
      { ...fx.config.facts, sshPort: port },
      {
        listenAddress: '127.0.0.1',
        hostKeyPath: join(dir, 'host_key'),
        authorizedKeysFile: join(dir, 'authorized_keys'),
        pidFile: join(dir, 'sshd.pid'),
        allowUser: 'root',
        controlHome: join(dir, 'home'),
      },
    );
    writeFileSync(join(dir, 'sshd_config'), cfg, { mode: 0o600 });
    sshd = new NsProcess(
      'sshd',
      spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    assert.ok(
      await sshd.waitFor(/Server listening on 127\.0\.0\.1 port/, 10_000),
      `sshd did not start:\n${sshd.output}`,
    );
  });

  after(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (fx) rmSync(fx.root, { recursive: true, force: true });
  });

  test('health answers over SSH (exit 0, one JSON reply line)', async () => {
    const r = await exec('health');
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.equal(r.reply.ok, true);
    assert.equal(r.reply.cmd, 'health');
  });

  test('`rm -rf /` is invalid: exit 2, reply invalid, one audit line with the SSH client', async () => {
    const before = audit().length;
    const r = await exec('rm -rf /');
    assert.equal(r.code, 2);
    assert.equal(r.reply.cmd, 'invalid');
    assert.equal(r.reply.error?.code, 'VIW_E_FORBIDDEN');
    assert.match(r.reply.error?.message ?? '', /invalid/);
    const lines = audit();
    assert.equal(lines.length, before + 1);
    assert.equal(lines.at(-1)?.verb, 'invalid');
    assert.equal(lines.at(-1)?.attempt, 'rm -rf /');
    assert.match(String(lines.at(-1)?.ssh_client), /^127\.0\.0\.1 [0-9]+ [0-9]+$/);
  });

  test('a shell request gets no pty and no shell: refused and audited', async () => {
    const conn = await connect();
    try {
      // With a pty request first: sshd refuses the pty (restrict, PermitTTY no).
      const ptyRefused = await new Promise<boolean>((resolve) =>
        conn.shell({ term: 'xterm' }, (err, s) => {
          if (err) return resolve(true);
          s.on('close', () => resolve(false));
          s.end();
        }),
      );
      assert.equal(ptyRefused, true, 'pty request was not refused');
    } finally {
      conn.end();
    }
    const conn2 = await connect();
    try {
      const stream = await new Promise<ClientChannel>((resolve, reject) =>
        conn2.shell(false, (err, s) => (err ? reject(err) : resolve(s))),
      );
      const out = await collect(stream);
      assert.equal(out.code, 2);
      const reply = JSON.parse(out.stdout.trim()) as GatewayReply;
      assert.equal(reply.error?.code, 'VIW_E_FORBIDDEN');
      assert.equal(audit().at(-1)?.attempt, '(shell)');
    } finally {
      conn2.end();
    }
  });

  test('spa_key_add with keys on stdin; pull_logs audit shows the request, never the keys', async () => {
    const device = `d-${randomBytes(16).toString('hex')}`;
    const keys = {
      key_base64: randomBytes(32).toString('base64'),
      hmac_key_base64: randomBytes(64).toString('base64'),
    };
    const add = await exec(`spa_key_add ${device}`, JSON.stringify(keys));
    assert.equal(add.code, 0, add.stdout);
    assert.equal(add.reply.changed, true);
    const logs = await exec('pull_logs audit 10');
    assert.equal(logs.code, 0, logs.stdout);
    const lines = (logs.reply.result as { lines: string[] }).lines;
    const entry = lines
      .map((l) => JSON.parse(l) as { verb: string; args: string[] })
      .find((e) => e.verb === 'spa_key_add');
    assert.deepEqual(entry?.args, [device]);
    for (const secret of [keys.key_base64, keys.hmac_key_base64]) {
      assert.ok(!logs.stdout.includes(secret), 'key in pulled logs');
      assert.ok(!readFileSync(fx!.config.audit_log, 'utf8').includes(secret), 'key in audit log');
    }
  });
});
