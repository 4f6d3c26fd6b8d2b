// The desktop's self-service change of a one-time password over real HTTPS:
// login → verify (password_change_required + password token, nothing else) → POST /auth/password →
// log in again. Negative paths: forged, reused, expired, voided tokens; another device, another
// address; weak passwords; replayed signatures; no secret in logs or audit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse, VerifyPasswordChange, VerifyReply } from '../../core/api/auth.js';
import { PASSWORD_POLICY } from '../../core/api/common.js';
import { signRequest } from '../../core/crypto/request-signing.js';
import { PASSWORD_TOKEN_TTL_MS, passwordTokens } from '../services/auth/password.js';
import { verifyPassword } from '../services/auth/passwords.js';
import { tokenHash } from '../services/auth/tokens.js';
import type { HttpReply } from '../testing/harness.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createUser,
  ctxOf,
  enrolledDesktop,
  freshIp,
  loginBody,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

type Device = Awaited<ReturnType<typeof enrolledDesktop>>;
const ONE_TIME = 'one-time password from the admin';
const NEW_PW = 'my own new passphrase 2026';

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.body as { code?: string }).code, code, reply.text);
}

describe('POST /auth/password (one-time password change from the desktop)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ mode: 'development' });
  });
  after(async () => ts.stop());

  const call = <T = unknown>(d: Device, path: string, json: unknown, ip: string) =>
    signedCall<T>(ts, path, {
      keyId: d.deviceId,
      secretKey: d.keys.signing.secretKey,
      json,
      localAddress: ip,
    });

  /** A `User` account holding a one-time password, with an active desktop and a bound phone. */
  const person = async (name: string) => {
    const user = await createUser(ts, name, ONE_TIME, { mustChangePassword: true });
    const device = await enrolledDesktop(ts, name, ONE_TIME);
    const phone = await boundPhone(ts, user.id);
    return { name, user, device, phone };
  };
  type Person = Awaited<ReturnType<typeof person>>;

  /** login + phone code + verify; returns the verify reply. */
  const fullLogin = async (p: Person, password: string, ip: string, d: Device = p.device) => {
    const login = await call<LoginResponse>(d, '/auth/login', loginBody(p.name, password, d.deviceId), ip);
    assert.equal(login.status, 200, login.text);
    const otp = await phoneClient(ts).pendingOtp(p.phone);
    const code = otp?.txn_id === login.body.txn_id ? otp.code : '000000';
    return call<VerifyReply>(d, '/auth/verify', { txn_id: login.body.txn_id, otp_code: code }, ip);
  };

  const passwordToken = async (p: Person, ip: string) => {
    const verify = await fullLogin(p, ONE_TIME, ip);
    assert.equal(verify.status, 200, verify.text);
    assert.equal(verify.body.login_state, 'password_change_required');
    return (verify.body as VerifyPasswordChange).password_token;
  };

  const change = (d: Device, token: string, newPassword: string, ip: string) =>
    call<{ login_state: string }>(
      d,
      '/auth/password',
      { password_token: token, new_password: newPassword },
      ip,
    );

  it('answers verify with a password token only, then changes the password; the user logs in again', async () => {
    const p = await person('olga');
    const ip = freshIp();
    const verify = await fullLogin(p, ONE_TIME, ip);
    assert.equal(verify.status, 200, verify.text);
    assert.deepEqual(Object.keys(verify.body).sort(), [
      'login_state',
      'password_policy',
      'password_token',
      'password_token_expires_at',
    ]);
    const body = verify.body as VerifyPasswordChange;
    assert.equal(body.login_state, 'password_change_required');
    assert.match(body.password_token, /^viw_pw_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(body.password_policy, PASSWORD_POLICY);
    const ttl = Date.parse(body.password_token_expires_at) - Date.now();
    assert.ok(ttl > PASSWORD_TOKEN_TTL_MS - 10_000 && ttl <= PASSWORD_TOKEN_TTL_MS, `ttl ${ttl}`);

    // Bound to user, device, login and address; no access token or bootstrap grant exists.
    const kv = ctxOf(ts).kv;
    const claims = await passwordTokens(kv).read(body.password_token);
    assert.deepEqual(
      { ...claims, loginTxnId: 'x', issuedAt: 0 },
      {
        userId: p.user.id,
        deviceId: p.device.deviceId,
        sourceIp: ip,
        loginTxnId: 'x',
        issuedAt: 0,
        authEpoch: p.user.authEpoch,
      },
    );
    assert.ok(!verify.text.includes('viw_at_') && !verify.text.includes('viw_bg_'));

    const before = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    const changed = await change(p.device, body.password_token, NEW_PW, ip);
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body, { login_state: 'login_required' });
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    assert.equal(row.mustChangePassword, false);
    assert.equal(row.authEpoch, before.authEpoch + 1);
    assert.ok(await verifyPassword(NEW_PW, row.passwordHash));

    // The token is spent; the one-time password is gone; the new one logs in normally.
    assertError(await change(p.device, body.password_token, `${NEW_PW}!`, ip), 401, 'VIW_E_TOKEN_INVALID');
    assertError(await fullLogin(p, ONE_TIME, ip), 401, 'VIW_E_OTP_INVALID');
    const ok = await fullLogin(p, NEW_PW, ip);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.login_state, 'ok');
    assert.match((ok.body as { access_token: string }).access_token, /^viw_at_/);

    const events = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((e) =>
      JSON.parse(e.event),
    );
    const pseudonym = ctxOf(ts).audit.userPseudonym(p.user.auditId);
    const mine = events.filter((e) => e.user_id === pseudonym);
    assert.ok(
      mine.some(
        (e) =>
          e.action === 'auth.otp_verify' &&
          e.result === 'denied' &&
          e.error_code === 'VIW_E_PASSWORD_CHANGE_REQUIRED',
      ),
      'verify audited as refused pending the change',
    );
    assert.ok(mine.some((e) => e.action === 'auth.password_change' && e.result === 'success'));
    assert.ok(
      // A spent token names nobody any more; the event still names the device.
      events.some(
        (e) =>
          e.action === 'auth.password_change' &&
          e.error_code === 'VIW_E_TOKEN_INVALID' &&
          e.device_id === p.device.deviceId,
      ),
    );
    assert.ok(mine.some((e) => e.action === 'auth.otp_verify' && e.result === 'success'));
  });

  it('refuses weak passwords with the admin rule set and keeps the token for a better one', async () => {
    const p = await person('piotr');
    const ip = freshIp();
    const token = await passwordToken(p, ip);
    const details = async (pw: string) => {
      const r = await change(p.device, token, pw, ip);
      assertError(r, 400, 'VIW_E_VALIDATION');
      return (r.body as unknown as { details: string[] }).details.join(' | ');
    };
    assert.match(await details('short'), /new_password/); // schema: under 12 characters
    assert.match(await details(ONE_TIME), /must differ from the current password/);
    assert.match(await details('piotr-has-a-password'), /must not contain the username/);
    assert.match(await details('abababababababab'), /at least 6 different characters/);
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    assert.equal(row.mustChangePassword, true, 'nothing changed');
    assert.equal((await change(p.device, token, NEW_PW, ip)).status, 200);
  });

  it('refuses forged, expired, foreign and voided tokens, other devices and other addresses', async () => {
    const p = await person('quinn');
    const other = await person('rosa');
    const ip = freshIp();
    const token = await passwordToken(p, ip);

    // Forged: well-formed but never issued; wrong kind; malformed.
    assertError(await change(p.device, `viw_pw_${'A'.repeat(43)}`, NEW_PW, ip), 401, 'VIW_E_TOKEN_INVALID');
    assertError(await change(p.device, `viw_at_${'A'.repeat(43)}`, NEW_PW, ip), 400, 'VIW_E_VALIDATION');
    assertError(await change(p.device, 'viw_pw_short', NEW_PW, ip), 400, 'VIW_E_VALIDATION');

    // Another device of the same user, another user's device: refused, token left for its holder.
    const second = await enrolledDesktop(ts, 'quinn', ONE_TIME);
    assertError(await change(second, token, NEW_PW, ip), 401, 'VIW_E_TOKEN_INVALID');
    assertError(await change(other.device, token, NEW_PW, ip), 401, 'VIW_E_TOKEN_INVALID');
    // Another source address.
    const moved = await change(p.device, token, NEW_PW, freshIp());
    assertError(moved, 401, 'VIW_E_TOKEN_INVALID');
    assert.deepEqual((moved.body as unknown as { details: string[] }).details, [
      'source address changed since the login; log in again',
    ]);
    // Unsigned, or signed by a key that is not the device's.
    const unsigned = await ts.call('/auth/password', {
      json: { password_token: token, new_password: NEW_PW },
      localAddress: ip,
    });
    assertError(unsigned, 401, 'VIW_E_SIGNATURE_INVALID');
    const forgedSig = await signedCall(ts, '/auth/password', {
      keyId: p.device.deviceId,
      secretKey: other.device.keys.signing.secretKey,
      json: { password_token: token, new_password: NEW_PW },
      localAddress: ip,
    });
    assertError(forgedSig, 401, 'VIW_E_SIGNATURE_INVALID');
    assert.equal(
      (await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } })).mustChangePassword,
      true,
    );

    // Expired: the store forgets it after its lifetime.
    const kv = ctxOf(ts).kv;
    const key = `tok:pw:${tokenHash(token)}`;
    await kv.set(key, (await kv.get(key))!, 1);
    await new Promise((r) => setTimeout(r, 20));
    assertError(await change(p.device, token, NEW_PW, ip), 401, 'VIW_E_TOKEN_INVALID');

    // Voided: a lock (or reset) since the token was issued bumps authEpoch.
    const fresh = await passwordToken(p, ip);
    await ctxOf(ts).db.user.update({ where: { id: p.user.id }, data: { authEpoch: { increment: 1 } } });
    assertError(await change(p.device, fresh, NEW_PW, ip), 401, 'VIW_E_TOKEN_INVALID');
    assert.equal(await passwordTokens(kv).read(fresh), null, 'a voided token is removed');
    // A locked account is told so (only the holder of the device key and the token can ask).
    const third = await passwordToken(p, ip);
    await ctxOf(ts).db.user.update({ where: { id: p.user.id }, data: { locked: true } });
    assertError(await change(p.device, third, NEW_PW, ip), 423, 'VIW_E_ACCOUNT_LOCKED');
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    assert.equal(row.mustChangePassword, true);
    assert.ok(await verifyPassword(ONE_TIME, row.passwordHash), 'the password never changed');
  });

  it('refuses a replayed request, and a second change with the same token', async () => {
    const p = await person('sven');
    const ip = freshIp();
    const token = await passwordToken(p, ip);
    const raw = JSON.stringify({ password_token: token, new_password: NEW_PW });
    const headers = {
      ...signRequest(
        p.device.deviceId,
        p.device.keys.signing.secretKey,
        'POST',
        '/auth/password',
        Buffer.from(raw),
      ),
      'content-type': 'application/json',
    };
    const first = await ts.call('/auth/password', { raw, headers, localAddress: ip });
    assert.equal(first.status, 200, first.text);
    const replay = await ts.call('/auth/password', { raw, headers, localAddress: ip });
    assertError(replay, 401, 'VIW_E_SIGNATURE_INVALID');
    assert.deepEqual((replay.body as { details: string[] }).details, ['replayed request']);
    // Freshly signed, but the token is spent.
    assertError(await change(p.device, token, 'yet another passphrase 9', ip), 401, 'VIW_E_TOKEN_INVALID');
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    assert.ok(await verifyPassword(NEW_PW, row.passwordHash));
  });

  it('lets only one of two concurrent changes with the same token win', async () => {
    const p = await person('tara');
    const ip = freshIp();
    const token = await passwordToken(p, ip);
    const replies = await Promise.all([
      change(p.device, token, 'first concurrent passphrase', ip),
      change(p.device, token, 'second concurrent passphrase', ip),
    ]);
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 401]);
    const row = await ctxOf(ts).db.user.findUniqueOrThrow({ where: { id: p.user.id } });
    assert.equal(row.authEpoch, p.user.authEpoch + 1, 'changed exactly once');
  });

  it('never logs or audits the new password or the password token', async () => {
    const p = await person('ursula');
    const ip = freshIp();
    const token = await passwordToken(p, ip);
    const secret = 'unique secret passphrase 77';
    assert.equal((await change(p.device, token, secret, ip)).status, 200);
    const text = `${ts.logs()}\n${(await ctxOf(ts).db.auditEvent.findMany()).map((e) => e.event).join('\n')}`;
    assert.ok(text.includes('auth.password_change') && text.includes('/auth/password'), 'captured');
    for (const needle of [secret, NEW_PW, ONE_TIME, token, 'viw_pw_', tokenHash(token)]) {
      assert.ok(!text.includes(needle), `no ${needle.slice(0, 7)}… in logs or audit`);
    }
  });
});
