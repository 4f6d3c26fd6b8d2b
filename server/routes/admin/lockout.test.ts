import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthReplyT } from '../../../core/api/admin.js';
import { LOCKOUT_FREE_FAILURES, lockoutDurationMs } from '../../services/auth/lockout.js';
import { RATE_RULES } from '../../services/rate-limit.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
  totpCode,
} from '../../testing/admin-fixtures.js';
import { enrolledDesktop, loginBody, signedCall } from '../../testing/identity-fixtures.js';

describe('admin API: account lockout and per-address rate limit', () => {
  let t: AdminTestServer;
  before(async () => {
    t = await startAdminTestServer();
  });
  after(async () => t.srv.stop());

  const login = (json: unknown, localAddress: string) =>
    t.srv.call<AuthReplyT>('/admin/login', { json, localAddress });

  const THRESHOLD = LOCKOUT_FREE_FAILURES + 1;

  it(`locks an account after ${THRESHOLD} failures (shared schedule), even for the right password, until unlocked; the login answer never tells`, async () => {
    const op = await createAccount(t.ctx, 'Operator');
    const ip = '127.0.1.1';
    for (let i = 0; i < THRESHOLD; i++) {
      const res = await login({ username: op.user.username, password: 'wrong-password-here' }, ip);
      assert.deepEqual(refusal(res), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    }
    const right = { username: op.user.username, password: op.password, totp: totpCode(op.totpSecret) };
    const locked = await login(right, ip);
    assert.deepEqual(refusal(locked), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    const row = await t.ctx.db.user.findUniqueOrThrow({ where: { id: op.user.id } });
    assert.equal(row.failedLogins, THRESHOLD);
    const lockMs = lockoutDurationMs(THRESHOLD);
    assert.ok(row.lockedUntil && row.lockedUntil.getTime() > Date.now() + lockMs - 10_000);

    // The lockout is visible to admins and lifted by unlock.
    const admin = await createAccount(t.ctx, 'Admin');
    const token = await sessionFor(t.ctx, admin.user);
    const list = await t.srv.call<{ users: Array<{ id: string; locked_until: string | null }> }>(
      '/admin/users?limit=200',
      { headers: bearer(token) },
    );
    assert.ok(list.body.users.find((u) => u.id === op.user.id)?.locked_until);
    const unlock = await t.srv.call(`/admin/users/${op.user.id}/unlock`, {
      headers: bearer(token),
      method: 'POST',
    });
    assert.equal(unlock.status, 200);
    const ok = await login(right, ip);
    assert.equal(ok.body.state, 'ok', ok.text);

    const events = await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const actions = events.map((e) => JSON.parse(e.event) as { action: string; result: string });
    assert.ok(actions.some((e) => e.action === 'admin.account_lockout' && e.result === 'denied'));
    assert.ok(actions.some((e) => e.action === 'admin.login' && e.result === 'denied'));
  });

  it('adds admin and desktop failures up on one schedule; every lock ends the admin sessions', async () => {
    const op = await createAccount(t.ctx, 'Operator');
    const desk = await enrolledDesktop(t.srv, op.user.username, op.password);
    const ip = '127.0.1.4';
    const deskLogin = (password: string) =>
      signedCall(t.srv, '/auth/login', {
        keyId: desk.deviceId,
        secretKey: desk.keys.signing.secretKey,
        json: loginBody(op.user.username, password, desk.deviceId),
        localAddress: ip,
      });
    const adminLogin = (password: string) =>
      login({ username: op.user.username, password, totp: totpCode(op.totpSecret) }, ip);
    const row = () => t.ctx.db.user.findUniqueOrThrow({ where: { id: op.user.id } });
    const me = (token: string) => t.srv.call('/admin/me', { headers: bearer(token) });

    const token = await sessionFor(t.ctx, op.user);
    const half = Math.ceil(LOCKOUT_FREE_FAILURES / 2);
    for (let i = 0; i < half; i++)
      assert.equal(refusal(await adminLogin(`wrong-admin-${i}`)).code, 'VIW_E_AUTH_FAILED');
    for (let i = half; i < LOCKOUT_FREE_FAILURES; i++)
      assert.equal((await deskLogin(`wrong-desk-${i}`)).status, 200);
    let r = await row();
    assert.equal(r.failedLogins, LOCKOUT_FREE_FAILURES, 'both sides count on the same column');
    assert.equal(r.lockedUntil, null);
    assert.equal((await me(token)).status, 200, 'free failures do not touch sessions');

    // The next failure, on the admin side, locks the account everywhere and ends its admin session.
    assert.equal(refusal(await adminLogin('wrong-admin-last')).code, 'VIW_E_AUTH_FAILED');
    r = await row();
    assert.equal(r.failedLogins, THRESHOLD);
    assert.ok(r.lockedUntil && r.lockedUntil.getTime() > Date.now() + lockoutDurationMs(THRESHOLD) - 10_000);
    assert.equal(r.authEpoch, op.user.authEpoch + 1);
    assert.deepEqual(refusal(await deskLogin(op.password)), { code: 'VIW_E_ACCOUNT_LOCKED', status: 423 });
    // The admin login answers a locked account like any failure (only the admin API and the audit
    // show the lock); the desktop tells it to the holder of the user's own device key.
    assert.deepEqual(refusal(await adminLogin(op.password)), { code: 'VIW_E_AUTH_FAILED', status: 401 });
    assert.deepEqual(refusal(await me(token)), { code: 'VIW_E_TOKEN_INVALID', status: 401 });

    // The lock runs out; one more failure, now on the desktop, doubles it and ends a newer session.
    await t.ctx.db.user.update({
      where: { id: op.user.id },
      data: { lockedUntil: new Date(Date.now() - 1) },
    });
    const newer = await sessionFor(t.ctx, await row());
    assert.equal((await me(newer)).status, 200);
    assert.equal((await deskLogin('wrong-desk-last')).status, 200);
    r = await row();
    assert.equal(r.failedLogins, THRESHOLD + 1);
    assert.ok(
      r.lockedUntil && r.lockedUntil.getTime() > Date.now() + lockoutDurationMs(THRESHOLD + 1) - 10_000,
    );
    assert.equal(r.authEpoch, op.user.authEpoch + 2);
    assert.deepEqual(refusal(await me(newer)), { code: 'VIW_E_TOKEN_INVALID', status: 401 });

    const events = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map(
      (e) => JSON.parse(e.event) as { action: string; user_id: string | null },
    );
    const who = t.ctx.audit.userPseudonym(op.user.auditId);
    assert.ok(events.some((e) => e.action === 'admin.account_lockout' && e.user_id === who));
    assert.ok(events.some((e) => e.action === 'auth.lockout' && e.user_id === who));
  });

  it('answers unknown, non-admin, wrong-password and locked accounts alike: status, body, headers and cost', async () => {
    const admin = await createAccount(t.ctx, 'Admin');
    const user = await createAccount(t.ctx, 'User');
    const locked = await createAccount(t.ctx, 'Operator');
    await t.ctx.db.user.update({
      where: { id: locked.user.id },
      data: { failedLogins: THRESHOLD, lockedUntil: new Date(Date.now() + 3_600_000) },
    });
    const kinds: Record<string, { username: string; password: string; totp?: string }> = {
      unknown: { username: 'no-such-admin', password: 'some password 123' },
      'User role': { username: user.user.username, password: user.password, totp: totpCode(user.totpSecret) },
      'wrong password': { username: admin.user.username, password: 'wrong password 123' },
      'locked, wrong password': { username: locked.user.username, password: 'wrong password 123' },
      'locked, right password': {
        username: locked.user.username,
        password: locked.password,
        totp: totpCode(locked.totpSecret),
      },
    };
    const rounds = 3;
    const seen: Record<string, { shape: string; ms: number[] }> = {};
    let ip = 10;
    for (let round = 0; round < rounds; round++) {
      for (const [kind, body] of Object.entries(kinds)) {
        const started = process.hrtime.bigint();
        const res = await login(body, `127.0.2.${ip++}`);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const { trace_id: _t, ...rest } = res.body as unknown as Record<string, unknown>;
        const headers = Object.keys(res.headers)
          .filter((h) => h !== 'date')
          .sort();
        const shape = JSON.stringify({ status: res.status, body: rest, headers });
        seen[kind] ??= { shape, ms: [] };
        assert.equal(shape, seen[kind].shape, `${kind}: the same answer every time`);
        seen[kind].ms.push(ms);
      }
    }
    const shapes = new Set(Object.values(seen).map((s) => s.shape));
    assert.equal(shapes.size, 1, `one answer for all: ${[...shapes].join(' | ')}`);
    assert.match([...shapes][0]!, /"status":401.*"code":"VIW_E_AUTH_FAILED"/);
    // Each kind runs exactly one password KDF (~50–100 ms); a refusal that skipped it (as a lock
    // check did) answers an order of magnitude faster. Medians, with a generous band for noise.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = median(seen.unknown!.ms);
    for (const [kind, s] of Object.entries(seen)) {
      const m = median(s.ms);
      assert.ok(m > base / 3 && m < base * 3, `${kind}: ${m.toFixed(1)} ms vs unknown ${base.toFixed(1)} ms`);
    }
    // The truth is in the audit: the locked account's attempts are `denied` with the lock's code.
    const events = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map(
      (e) =>
        JSON.parse(e.event) as {
          action: string;
          result: string;
          error_code: string | null;
          user_id: string | null;
        },
    );
    const lockedId = t.ctx.audit.userPseudonym(locked.user.auditId);
    assert.ok(
      events.some(
        (e) =>
          e.action === 'admin.login' && e.user_id === lockedId && e.error_code === 'VIW_E_ACCOUNT_LOCKED',
      ),
    );
  });

  it(`refuses more than ${RATE_RULES.adminLogin.limit} login attempts a minute from one address`, async () => {
    const ip = '127.0.1.2';
    const codes: string[] = [];
    for (let i = 0; i <= RATE_RULES.adminLogin.limit; i++) {
      const res = await login({ username: `ghost${i}`, password: 'whatever-password' }, ip);
      codes.push(refusal(res).code);
    }
    assert.deepEqual(
      codes.slice(0, RATE_RULES.adminLogin.limit),
      Array(RATE_RULES.adminLogin.limit).fill('VIW_E_AUTH_FAILED'),
    );
    assert.equal(codes.at(-1), 'VIW_E_RATE_LIMITED');
    // Malformed bodies count too (the limit applies before parsing)...
    const raw = await t.srv.call('/admin/login', { raw: '{', localAddress: ip });
    assert.deepEqual(refusal(raw), { code: 'VIW_E_RATE_LIMITED', status: 429 });
    // ...and other addresses are unaffected.
    const other = await login({ username: 'ghost', password: 'whatever-password' }, '127.0.1.3');
    assert.equal(refusal(other).code, 'VIW_E_AUTH_FAILED');
  });
});
