import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthReplyT } from '../../../core/api/admin.js';
import { base32Decode } from '../../services/admin/totp.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
  totpCode,
} from '../../testing/admin-fixtures.js';

interface Enrollment {
  secret: string;
  otpauth_uri: string;
  algorithm: string;
  digits: number;
  period_s: number;
}

describe('admin API: login and first-login setup (real HTTPS)', () => {
  let t: AdminTestServer;
  before(async () => {
    t = await startAdminTestServer();
  });
  after(async () => t.srv.stop());

  const login = (json: unknown, ip?: string) =>
    t.srv.call<AuthReplyT>('/admin/login', { json, ...(ip ? { localAddress: ip } : {}) });

  it('takes the bootstrap admin through password change, TOTP enrollment and a full login', async () => {
    const oneTime = t.srv.adminPassword;
    assert.ok(oneTime.length >= 20);

    // 1. The one-time password opens a restricted setup session only.
    const first = await login({ username: 'admin', password: oneTime });
    assert.equal(first.status, 200);
    assert.equal(first.body.state, 'setup_required');
    assert.deepEqual(first.body.required, ['password_change', 'totp_enroll']);
    assert.deepEqual(first.body.permissions, []);
    const setup1 = first.body.token!;
    assert.match(setup1, /^viw_adm_/);

    const blocked = await t.srv.call('/admin/users', { headers: bearer(setup1) });
    assert.deepEqual(refusal(blocked), { code: 'VIW_E_SETUP_REQUIRED', status: 403 });
    const me = await t.srv.call<{ scope: string; required: string[] }>('/admin/me', {
      headers: bearer(setup1),
    });
    assert.equal(me.body.scope, 'setup');

    // 2. Password change: current password checked, policy enforced, then a fresh setup token.
    const wrongCurrent = await t.srv.call('/admin/password', {
      headers: bearer(setup1),
      json: { current_password: 'not-the-password', new_password: 'a-Much-better-passphrase-42' },
    });
    assert.deepEqual(refusal(wrongCurrent), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const same = await t.srv.call('/admin/password', {
      headers: bearer(setup1),
      json: { current_password: oneTime, new_password: oneTime },
    });
    assert.deepEqual(refusal(same), { code: 'VIW_E_VALIDATION', status: 400 });
    const short = await t.srv.call('/admin/password', {
      headers: bearer(setup1),
      json: { current_password: oneTime, new_password: 'short' },
    });
    assert.deepEqual(refusal(short), { code: 'VIW_E_VALIDATION', status: 400 });

    const newPassword = 'correct-Horse-battery-staple-9';
    const changed = await t.srv.call<AuthReplyT>('/admin/password', {
      headers: bearer(setup1),
      json: { current_password: oneTime, new_password: newPassword },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.state, 'setup_required');
    assert.deepEqual(changed.body.required, ['totp_enroll']);
    const setup2 = changed.body.token!;
    assert.notEqual(setup2, setup1);
    const stale = await t.srv.call('/admin/me', { headers: bearer(setup1) });
    assert.deepEqual(refusal(stale), { code: 'VIW_E_TOKEN_INVALID', status: 401 });

    // 3. TOTP enrollment: secret and key URI once; a wrong code refused; the right one confirms.
    const enroll = await t.srv.call<Enrollment>('/admin/totp/enroll', {
      headers: bearer(setup2),
      method: 'POST',
    });
    assert.equal(enroll.status, 200);
    assert.match(enroll.body.secret, /^[A-Z2-7]{32}$/);
    assert.ok(enroll.body.otpauth_uri.startsWith('otpauth://totp/ViWorkS:admin?secret='));
    assert.deepEqual([enroll.body.algorithm, enroll.body.digits, enroll.body.period_s], ['SHA1', 6, 30]);
    const secret = base32Decode(enroll.body.secret);
    const stored = await t.ctx.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    assert.ok(stored.totpSecretSealed && !stored.totpSecretSealed.includes(enroll.body.secret));

    const badCode = String((Number(totpCode(secret)) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await t.srv.call('/admin/totp/confirm', {
      headers: bearer(setup2),
      json: { code: badCode },
    });
    assert.deepEqual(refusal(wrong), { code: 'VIW_E_OTP_INVALID', status: 401 });

    const confirmCode = totpCode(secret);
    const confirmed = await t.srv.call<AuthReplyT>('/admin/totp/confirm', {
      headers: bearer(setup2),
      json: { code: confirmCode },
    });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.state, 'login_required');
    assert.equal(confirmed.body.token, undefined);
    const ended = await t.srv.call('/admin/me', { headers: bearer(setup2) });
    assert.deepEqual(refusal(ended), { code: 'VIW_E_TOKEN_INVALID', status: 401 });

    // 4. From now on: password AND code. Without a code, or with the confirm code again, refused alike.
    const noCode = await login({ username: 'admin', password: newPassword });
    assert.deepEqual(refusal(noCode), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const reuseConfirm = await login({ username: 'admin', password: newPassword, totp: confirmCode });
    assert.deepEqual(refusal(reuseConfirm), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const oldPassword = await login({ username: 'admin', password: oneTime, totp: totpCode(secret, 1) });
    assert.deepEqual(refusal(oldPassword), { code: 'VIW_E_AUTH_FAILED', status: 401 });

    const nextCode = totpCode(secret, 1);
    const full = await login({ username: 'admin', password: newPassword, totp: nextCode });
    assert.equal(full.status, 200, full.text);
    assert.equal(full.body.state, 'ok');
    assert.equal(full.body.role, 'Admin');
    assert.equal(full.body.idle_timeout_s, 900);
    assert.ok(full.body.permissions.includes('users:write'));
    const expiresIn = Date.parse(full.body.expires_at!) - Date.now();
    assert.ok(expiresIn > 7.9 * 3600_000 && expiresIn <= 8 * 3600_000);
    const users = await t.srv.call('/admin/users', { headers: bearer(full.body.token!) });
    assert.equal(users.status, 200);

    // 5. The same code cannot be replayed, even with the right password.
    const replay = await login({ username: 'admin', password: newPassword, totp: nextCode });
    assert.deepEqual(refusal(replay), { code: 'VIW_E_AUTH_FAILED', status: 401 });

    // 6. Logout ends the session; enrolling again is refused.
    const again = await t.srv.call('/admin/totp/enroll', {
      headers: bearer(full.body.token!),
      method: 'POST',
    });
    assert.deepEqual(refusal(again), { code: 'VIW_E_CONFLICT', status: 409 });
    const out = await t.srv.call('/admin/logout', { headers: bearer(full.body.token!), method: 'POST' });
    assert.equal(out.status, 204);
    const gone = await t.srv.call('/admin/users', { headers: bearer(full.body.token!) });
    assert.deepEqual(refusal(gone), { code: 'VIW_E_TOKEN_INVALID', status: 401 });
  });

  it('an Operator created through the API goes through the same first login', async () => {
    const admin = await createAccount(t.ctx, 'Admin');
    const adminLogin = await login(
      { username: admin.user.username, password: admin.password, totp: totpCode(admin.totpSecret) },
      '127.0.0.2',
    );
    assert.equal(adminLogin.body.state, 'ok', adminLogin.text);
    const created = await t.srv.call<{ user: { id: string }; one_time_password: string }>('/admin/users', {
      headers: bearer(adminLogin.body.token!),
      json: { username: 'op.one', role: 'Operator' },
    });
    assert.equal(created.status, 201);
    const ip = '127.0.0.3';
    const first = await login({ username: 'op.one', password: created.body.one_time_password }, ip);
    assert.equal(first.body.state, 'setup_required');
    const enroll = await t.srv.call<Enrollment>('/admin/totp/enroll', {
      headers: bearer(first.body.token!),
      method: 'POST',
    });
    const secret = base32Decode(enroll.body.secret);
    // TOTP first this time; the password change then finishes setup.
    const confirmed = await t.srv.call<AuthReplyT>('/admin/totp/confirm', {
      headers: bearer(first.body.token!),
      json: { code: totpCode(secret) },
    });
    assert.equal(confirmed.body.state, 'setup_required');
    assert.deepEqual(confirmed.body.required, ['password_change']);
    const changed = await t.srv.call<AuthReplyT>('/admin/password', {
      headers: bearer(confirmed.body.token!),
      json: { current_password: created.body.one_time_password, new_password: 'operator-Passphrase-77' },
    });
    assert.equal(changed.body.state, 'login_required');
    const full = await login(
      { username: 'op.one', password: 'operator-Passphrase-77', totp: totpCode(secret, 1) },
      ip,
    );
    assert.equal(full.body.state, 'ok', full.text);
    assert.equal(full.body.role, 'Operator');
    assert.ok(!full.body.permissions.includes('users:write'));
    const denied = await t.srv.call('/admin/users', {
      headers: bearer(full.body.token!),
      json: { username: 'nope', role: 'User' },
    });
    assert.deepEqual(refusal(denied), { code: 'VIW_E_FORBIDDEN', status: 403 });
  });

  it('role User cannot use the admin API at all, with the right password', async () => {
    const user = await createAccount(t.ctx, 'User');
    const res = await login(
      { username: user.user.username, password: user.password, totp: totpCode(user.totpSecret) },
      '127.0.0.4',
    );
    assert.deepEqual(refusal(res), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const after = await t.ctx.db.user.findUniqueOrThrow({ where: { id: user.user.id } });
    assert.equal(after.failedLogins, 0, 'the admin endpoint must not count against desktop users');
  });

  it('unknown usernames fail exactly like wrong passwords', async () => {
    const res = await login({ username: 'nobody-here', password: 'whatever-password' }, '127.0.0.4');
    assert.deepEqual(refusal(res), { code: 'VIW_E_AUTH_FAILED', status: 401 });
  });

  it('an admin password reset makes the next login a setup login that still needs the TOTP code', async () => {
    const admin = await createAccount(t.ctx, 'Admin');
    const target = await createAccount(t.ctx, 'Auditor');
    const adminToken = await sessionFor(t.ctx, admin.user);
    const reset = await t.srv.call<{ one_time_password: string }>(
      `/admin/users/${target.user.id}/reset-password`,
      {
        headers: bearer(adminToken),
        json: {},
      },
    );
    assert.equal(reset.status, 200);
    const ip = '127.0.0.5';
    const noCode = await login(
      { username: target.user.username, password: reset.body.one_time_password },
      ip,
    );
    assert.deepEqual(refusal(noCode), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const withCode = await login(
      {
        username: target.user.username,
        password: reset.body.one_time_password,
        totp: totpCode(target.totpSecret),
      },
      ip,
    );
    assert.equal(withCode.body.state, 'setup_required');
    assert.deepEqual(withCode.body.required, ['password_change']);
    // The login proved both factors, so finishing the password change yields a full session.
    const changed = await t.srv.call<AuthReplyT>('/admin/password', {
      headers: bearer(withCode.body.token!),
      json: { current_password: reset.body.one_time_password, new_password: 'auditor-Passphrase-31' },
    });
    assert.equal(changed.body.state, 'ok');
    const audit = await t.srv.call('/admin/audit?limit=1', { headers: bearer(changed.body.token!) });
    assert.equal(audit.status, 200);
  });
});
