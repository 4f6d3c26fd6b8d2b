// The per-account ceiling on wrong codes across transactions, over real HTTPS: the probe's attack
// (many logins × 4 wrong codes each, from several addresses, never letting a transaction die)
// must lock the account at CODE_GUESS_CEILING; so must wrong enrollment codes and admin TOTP codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse } from '../../../core/api/auth.js';
import { createAccount, totpCode } from '../../testing/admin-fixtures.js';
import { type HttpReply, startTestServer, type TestServer } from '../../testing/harness.js';
import {
  boundPhone,
  createUser,
  ctxOf,
  type DesktopKeys,
  enrollBody,
  enrolledDesktop,
  freshIp,
  loginBody,
  newDesktopKeys,
  phoneClient,
  signedCall,
} from '../../testing/identity-fixtures.js';
import { CODE_GUESS_CEILING } from './code-guesses.js';
import { OTP_MAX_ATTEMPTS } from './otp-check.js';

const PW = 'a long enough password 42';
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const codeOf = (r: HttpReply) => (r.body as { code?: string }).code;

describe('per-account ceiling on wrong codes across transactions', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ mode: 'development' });
  });
  after(async () => ts.stop());

  const auditActions = async () =>
    (await ctxOf(ts).db.auditEvent.findMany()).map(
      (e) => JSON.parse(e.event) as { action: string; result: string; error_msg: string | null },
    );

  it('locks a desktop account after the ceiling of wrong login codes spread over logins and addresses', async () => {
    const user = await createUser(ts, 'guessed', PW);
    const device = await enrolledDesktop(ts, 'guessed', PW);
    const phone = await boundPhone(ts, user.id);
    const signed = (path: string, json: unknown, ip: string) =>
      signedCall(ts, path, {
        keyId: device.deviceId,
        secretKey: device.keys.signing.secretKey,
        json,
        localAddress: ip,
      });

    let guesses = 0;
    let last: { txn: string; ip: string; code: string } | null = null;
    let lockedReply: HttpReply | null = null;
    // Each login gets one fewer wrong code than would end it, from a new address each time: the
    // per-transaction and per-address limits never trigger; only the account's ceiling can.
    while (!lockedReply) {
      const ip = freshIp();
      const started = await signed('/auth/login', loginBody('guessed', PW, device.deviceId), ip);
      assert.equal(started.status, 200, started.text);
      const txn = (started.body as LoginResponse).txn_id;
      const code = (await phoneClient(ts).pendingOtp(phone))?.code;
      assert.ok(code, 'a genuine challenge');
      last = { txn, ip, code };
      for (let i = 0; i < OTP_MAX_ATTEMPTS - 1; i++) {
        const r = await signed('/auth/verify', { txn_id: txn, otp_code: wrong(code) }, ip);
        guesses++;
        if (guesses < CODE_GUESS_CEILING) {
          assert.equal(codeOf(r), 'VIW_E_OTP_INVALID', `guess ${guesses}: ${r.text}`);
        } else {
          lockedReply = r;
          break;
        }
      }
      assert.ok(guesses <= CODE_GUESS_CEILING, 'locked at the ceiling, not later');
    }
    assert.equal(lockedReply.status, 423, lockedReply.text);
    assert.equal(codeOf(lockedReply), 'VIW_E_ACCOUNT_LOCKED');
    // The right code of the open transaction no longer logs in: the lock ended it.
    assert.ok(last);
    const right = await signed('/auth/verify', { txn_id: last.txn, otp_code: last.code }, last.ip);
    assert.notEqual(right.status, 200, right.text);
    assert.equal(codeOf(right), 'VIW_E_OTP_EXPIRED');
    // A new login is refused while the lock lasts.
    const again = await signed('/auth/login', loginBody('guessed', PW, device.deviceId), freshIp());
    assert.equal(codeOf(again), 'VIW_E_ACCOUNT_LOCKED');
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.ok(row.lockedUntil && row.lockedUntil > new Date(), 'locked until later');
    const lockout = (await auditActions()).find(
      (e) => e.action === 'auth.lockout' && /wrong codes/.test(e.error_msg ?? ''),
    );
    assert.ok(lockout, 'the lock is audited');
    assert.equal(lockout.result, 'denied');
  });

  it('locks on wrong enrollment codes too, without telling the enrolling desktop', async () => {
    const user = await createUser(ts, 'enroll-guessed', PW);
    const phone = await boundPhone(ts, user.id);
    const call = (keys: DesktopKeys, path: string, json: unknown, ip: string) =>
      signedCall(ts, path, {
        keyId: keys.fingerprint,
        secretKey: keys.signing.secretKey,
        json,
        localAddress: ip,
      });
    let guesses = 0;
    while (guesses < CODE_GUESS_CEILING) {
      const keys = await newDesktopKeys();
      const ip = freshIp();
      const started = await call(
        keys,
        '/device/enroll',
        enrollBody(keys, { username: 'enroll-guessed', password: PW }),
        ip,
      );
      assert.equal(started.status, 202, started.text);
      const txn = (started.body as { txn_id: string }).txn_id;
      const code = (await phoneClient(ts).pendingOtp(phone))?.code;
      assert.ok(code);
      for (let i = 0; i < OTP_MAX_ATTEMPTS - 1 && guesses < CODE_GUESS_CEILING; i++) {
        const r = await call(keys, '/device/enroll/confirm', { txn_id: txn, otp_code: wrong(code) }, ip);
        guesses++;
        assert.equal(codeOf(r), 'VIW_E_OTP_INVALID', r.text);
      }
    }
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.ok(row.lockedUntil && row.lockedUntil > new Date(), 'the account is locked');
    // Locked: a new enrollment gets the usual quiet decoy, and no code reaches the phone.
    const keys = await newDesktopKeys();
    const decoy = await call(
      keys,
      '/device/enroll',
      enrollBody(keys, { username: 'enroll-guessed', password: PW }),
      freshIp(),
    );
    assert.equal(decoy.status, 202);
    assert.equal(await phoneClient(ts).pendingOtp(phone), null);
  });

  it('counts wrong admin TOTP codes across logins, so resetting the per-login count does not help', async () => {
    const { user, password, totpSecret } = await createAccount(ctxOf(ts), 'Operator');
    const db = ctxOf(ts).db;
    const adminLogin = (totp: string) =>
      ts.call('/admin/login', { json: { username: user.username, password, totp }, localAddress: freshIp() });
    const bad = wrong(totpCode(totpSecret));
    for (let i = 1; i < CODE_GUESS_CEILING; i++) {
      assert.equal((await adminLogin(bad)).status, 401);
      // What a successful login in between does to the per-login failure count (a TOTP step can
      // be used once, so here the count is reset directly): the per-login lockout never starts.
      if (i % 4 === 0) await db.user.update({ where: { id: user.id }, data: { failedLogins: 0 } });
    }
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: user.id } })).lockedUntil, null);
    const ceiling = await adminLogin(bad);
    assert.equal(ceiling.status, 401, 'the same answer as any failure');
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.ok(row.lockedUntil && row.lockedUntil > new Date(), 'locked at the ceiling');
    // Even the right password and code are refused now, with the same answer.
    const right = await adminLogin(totpCode(totpSecret));
    assert.equal(right.status, 401);
    assert.ok(
      (await auditActions()).some(
        (e) => e.action === 'admin.account_lockout' && /wrong codes/.test(e.error_msg ?? ''),
      ),
    );
  });
});
