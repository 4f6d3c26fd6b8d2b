// enroll: fleet token (file or stdin), the phone-code path, idempotence, and input checks — through
// the real LocalClient against a fake local API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadOrCreatePki } from '../../server/pki/embedded-pki.js';
import * as R from '../lib/results.js';
import { errJson, okJson } from '../testing/assert.js';
import { FAKE_OTP, FAKE_PASSWORD, type FakeDaemon, startFakeDaemon } from '../testing/fake-daemon.js';
import { runCommand } from '../testing/run.js';
import Enroll from './enroll.js';

const TOKEN = `viw_et_${'A'.repeat(43)}`;

describe('enroll (fake local API)', () => {
  let dir: string;
  let trust: string[];
  let caPem: string;
  let fake: FakeDaemon | undefined;
  let base: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-cli-enroll-'));
    const pki = await loadOrCreatePki(dir, { commonName: 'localhost', dns: ['localhost'] });
    caPem = pki.rootPem;
    writeFileSync(join(dir, 'root.crt'), caPem);
    writeFileSync(join(dir, 'fleet.token'), `${TOKEN}\n`, { mode: 0o600 });
    const { primary_b64, backup_b64 } = pki.backendApi.pins;
    trust = [
      '--backend',
      'https://vpn.test:8443',
      '--ca',
      join(dir, 'root.crt'),
      '--pin',
      primary_b64,
      '--pin',
      backup_b64,
    ];
  });
  beforeEach(async () => {
    await fake?.stop();
    fake = await startFakeDaemon(null);
    base = ['--socket', fake.socketPath, ...trust, '--username', 'alice'];
  });
  after(async () => {
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const enrollBodies = () => fake?.requests.filter((r) => r.path === '/v1/enroll').map((r) => r.body) ?? [];

  it('with a fleet token file: enrolled and active; URL, pins, CA and token reach the daemon', async () => {
    const argv = [...base, '--token-file', join(dir, 'fleet.token'), '--password-stdin', '--json'];
    const r = okJson(await runCommand(Enroll, argv, { stdin: `${FAKE_PASSWORD}\n` }), R.EnrollResultSchema);
    assert.equal(r.enroll_state, 'enrolled');
    assert.equal(r.device.status, 'active');
    const body = enrollBodies()[0];
    assert.equal(body?.backend_url, 'https://vpn.test:8443');
    assert.equal(body?.ca_pem, caPem);
    assert.equal(body?.enrollment_token, TOKEN);
    assert.equal(body?.password, FAKE_PASSWORD);
    assert.deepEqual(body?.backend_pins, { primary_b64: trust[5], backup_b64: trust[7] });
  });

  it('already enrolled: reports it (exit 0) and sends nothing', async () => {
    const argv = [...base, '--token-file', join(dir, 'fleet.token'), '--password-stdin', '--json'];
    await runCommand(Enroll, argv, { stdin: `${FAKE_PASSWORD}\n` });
    const again = okJson(
      await runCommand(Enroll, ['--socket', fake!.socketPath, '--json']),
      R.EnrollResultSchema,
    );
    assert.equal(again.enroll_state, 'already_enrolled');
    assert.equal(enrollBodies().length, 1);
  });

  it('token and password both from stdin (--token-file -), in that order', async () => {
    const argv = [...base, '--token-file', '-', '--password-stdin', '--json'];
    const r = okJson(
      await runCommand(Enroll, argv, { stdin: `${TOKEN}\n${FAKE_PASSWORD}\n` }),
      R.EnrollResultSchema,
    );
    assert.equal(r.device.status, 'active');
  });

  it('without a token: the phone code confirms it, and the device waits for approval', async () => {
    const argv = [...base, '--password-stdin', '--otp-stdin'];
    const r = await runCommand(Enroll, argv, { stdin: `${FAKE_PASSWORD}\n${FAKE_OTP}\n` });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /A code was sent to your phone/);
    assert.match(r.stdout, /pending_approval\.\nAn administrator must approve it/);
  });

  it('input problems are usage errors (exit 2) and nothing is sent', async () => {
    const sock = ['--socket', fake!.socketPath];
    const noBackend = errJson(await runCommand(Enroll, [...sock, '--json']), 2, 'VIW_E_VALIDATION');
    assert.match(noBackend.hint, /--backend/);
    const onePin = [...trust.slice(0, 6), '--username', 'alice', '--password-stdin', '--json'];
    errJson(await runCommand(Enroll, [...sock, ...onePin], { stdin: 'x\n' }), 2, 'VIW_E_VALIDATION');
    const httpUrl = [
      ...sock,
      '--backend',
      'http://vpn.test',
      ...trust.slice(2),
      '--username',
      'a1',
      '--json',
    ];
    assert.match(errJson(await runCommand(Enroll, httpUrl), 2, 'VIW_E_VALIDATION').message, /https/);
    writeFileSync(join(dir, 'bad.token'), 'hunter2-not-a-token\n');
    const badToken = await runCommand(Enroll, [...base, '--token-file', join(dir, 'bad.token'), '--json']);
    errJson(badToken, 2, 'VIW_E_VALIDATION');
    assert.ok(!badToken.stdout.includes('hunter2'));
    writeFileSync(join(dir, 'not-a-ca.crt'), 'hello');
    const badCa = [
      ...sock,
      ...trust.slice(0, 2),
      '--ca',
      join(dir, 'not-a-ca.crt'),
      ...trust.slice(4),
      '--json',
    ];
    assert.match(errJson(await runCommand(Enroll, badCa), 2, 'VIW_E_VALIDATION').message, /not a PEM/);
    assert.equal(enrollBodies().length, 0);
  });

  it('a wrong password: exit 3', async () => {
    const argv = [...base, '--token-file', join(dir, 'fleet.token'), '--password-stdin', '--json'];
    errJson(await runCommand(Enroll, argv, { stdin: 'wrong\n' }), 3, 'VIW_E_AUTH_FAILED');
  });
});
