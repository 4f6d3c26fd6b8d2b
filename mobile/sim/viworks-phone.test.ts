// The phone simulator as CI uses it: a subprocess against a real backend over pinned HTTPS.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueBindCode } from '../../server/services/mobile/bind-codes.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import {
  createUser,
  ctxOf,
  enrolledDesktop,
  loginBody,
  signedCall,
} from '../../server/testing/identity-fixtures.js';

const CLI = join(import.meta.dirname, 'viworks-phone.ts');
const PW = 'simulator password 77';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function phone(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('viworks-phone (subprocess)', () => {
  let ts: TestServer;
  let dir: string;
  let common: string[];

  before(async () => {
    ts = await startTestServer({ mode: 'development' });
    dir = mkdtempSync(join(tmpdir(), 'viw-phone-'));
    writeFileSync(join(dir, 'ca.pem'), ts.ca);
    const pins = ts.server.banner.backend_pins;
    common = ['--server', `https://127.0.0.1:${ts.server.port}`, '--ca', join(dir, 'ca.pem')];
    common.push('--pin', pins.primary_b64, '--pin', pins.backup_b64, '--state', join(dir, 'phone.json'));
  });
  after(async () => {
    await ts.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds, shows the pending code as one JSON object, and denies', async () => {
    const user = await createUser(ts, 'olga', PW);
    const desk = await enrolledDesktop(ts, 'olga', PW, 'olga-desk');
    const { code } = await issueBindCode(ctxOf(ts).kv, { userId: user.id, issuedBy: 'test' });

    const bound = await phone(['bind', ...common, '--code', code, '--json']);
    assert.equal(bound.code, 0, bound.stderr);
    const result = JSON.parse(bound.stdout);
    assert.equal(bound.stdout.trim().split('\n').length, 1, 'exactly one line');
    assert.equal(result.v, 1);
    assert.equal(result.trust_mode, 'development');
    const statePath = join(dir, 'phone.json');
    assert.equal(statSync(statePath).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(statePath, 'utf8')).mobile_device_id, result.mobile_device_id);
    const again = await phone(['bind', ...common, '--code', code, '--json']);
    assert.equal(again.code, 2, 'an existing state file is not overwritten without --force');

    const none = await phone(['otp', ...common, '--json']);
    assert.equal(none.code, 0);
    assert.deepEqual(JSON.parse(none.stdout), { v: 1, otp: null });
    const waited = await phone(['otp', ...common, '--wait', '--timeout', '1', '--json']);
    assert.equal(waited.code, 3, 'nothing arrived before the timeout');

    const login = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
      keyId: desk.deviceId,
      secretKey: desk.keys.signing.secretKey,
      json: loginBody('olga', PW, desk.deviceId),
    });
    const shown = await phone(['otp', ...common, '--wait', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const otp = JSON.parse(shown.stdout).otp;
    assert.equal(otp.txn_id, login.body.txn_id);
    assert.match(otp.code, /^\d{6}$/);
    const human = await phone(['otp', ...common]);
    assert.ok(human.stdout.startsWith(otp.code), human.stdout);
    // The desktop's name and where the login comes from (loopback: a private network).
    assert.match(
      human.stdout,
      /login of olga-desk \(linux, device [0-9a-f-]+\) from 127\.[0-9.]+, private network;/,
    );

    const denied = await phone(['deny', ...common, '--txn', otp.txn_id, '--json']);
    assert.equal(denied.code, 0, denied.stderr);
    assert.deepEqual(JSON.parse(denied.stdout), { v: 1, txn_id: otp.txn_id, status: 'denied' });
    const verify = await signedCall<{ code: string }>(ts, '/auth/verify', {
      keyId: desk.deviceId,
      secretKey: desk.keys.signing.secretKey,
      json: { txn_id: otp.txn_id, otp_code: otp.code },
    });
    assert.equal(verify.body.code, 'VIW_E_OTP_DENIED');
  });

  it('fails closed on a wrong pin and reports errors as one JSON object', async () => {
    const wrongPin = ['--pin', `${'A'.repeat(43)}=`];
    const args = common.flatMap((a, i) => (a === '--pin' || common[i - 1] === '--pin' ? [] : [a]));
    const pinned = await phone(['otp', ...args, ...wrongPin, '--json']);
    assert.equal(pinned.code, 1);
    assert.equal(JSON.parse(pinned.stdout).error.code, 'VIW_E_PIN_MISMATCH');
    const usage = await phone(['fly', ...common]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: viworks-phone/);
  });
});
