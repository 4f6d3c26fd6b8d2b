import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UserViewT } from '../../../core/api/admin.js';
import type { SessionEvent } from '../../services/client/events.js';
import { redeemBindCode } from '../../services/mobile/bind-codes.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  createDevice,
  createGateway,
  createVpnSession,
  randomId,
  refusal,
  sessionFor,
  startAdminTestServer,
  type TestAccount,
} from '../../testing/admin-fixtures.js';
import {
  enrolledDesktop as clientDesktop,
  fetchBootstrap,
  loginTokens,
} from '../../testing/client-fixtures.js';

interface Created {
  user: UserViewT;
  one_time_password: string;
}
interface Page {
  users: UserViewT[];
  next_cursor: string | null;
}

describe('admin API: users and bind codes', () => {
  let t: AdminTestServer;
  let admin: TestAccount;
  let token: string;
  before(async () => {
    t = await startAdminTestServer();
    admin = await createAccount(t.ctx, 'Admin');
    token = await sessionFor(t.ctx, admin.user);
  });
  after(async () => t.srv.stop());

  const post = <T>(path: string, json: unknown = {}) => t.srv.call<T>(path, { headers: bearer(token), json });
  const get = <T>(path: string) => t.srv.call<T>(path, { headers: bearer(token) });

  it('creates users with a one-time password shown once, never a hash', async () => {
    const res = await post<Created>('/admin/users', { username: 'alice', role: 'User' });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.username, 'alice');
    assert.equal(res.body.user.must_change_password, true);
    assert.equal(res.body.user.totp_enrolled, false);
    assert.match(res.body.user.pseudonym, /^u-[0-9a-f]{24}$/);
    assert.equal(res.body.one_time_password.length, 20);
    assert.ok(!/scrypt|password_hash|totp_secret/i.test(res.text));
    const listed = await get<Page>('/admin/users?limit=200');
    assert.ok(!/scrypt|one_time_password/.test(listed.text));
    const dup = await post('/admin/users', { username: 'alice', role: 'Operator' });
    assert.deepEqual(refusal(dup), { code: 'VIW_E_CONFLICT', status: 409 });
    assert.equal((await post('/admin/users', { username: 'j.doe@corp.example', role: 'User' })).status, 201);
    for (const username of ['Alice', 'a', 'has space', '-dash', 'x'.repeat(65)]) {
      const bad = await post('/admin/users', { username, role: 'User' });
      assert.deepEqual(refusal(bad), { code: 'VIW_E_VALIDATION', status: 400 }, username);
    }
    const badRole = await post('/admin/users', { username: 'carol', role: 'Root' });
    assert.deepEqual(refusal(badRole), { code: 'VIW_E_VALIDATION', status: 400 });
  });

  it('pages through users newest first with a cursor, and filters', async () => {
    for (let i = 0; i < 5; i++) await post('/admin/users', { username: `page-user-${i}`, role: 'Auditor' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: Page } = await get<Page>(
        `/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.ok(page.body.users.length <= 2);
      seen.push(...page.body.users.map((u) => u.username));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    const all = await t.ctx.db.user.count();
    assert.equal(seen.length, all);
    assert.equal(new Set(seen).size, all);
    assert.deepEqual(
      seen.filter((u) => u.startsWith('page-user-')),
      ['page-user-4', 'page-user-3', 'page-user-2', 'page-user-1', 'page-user-0'],
    );
    const auditors = await get<Page>('/admin/users?role=Auditor&limit=200');
    assert.ok(auditors.body.users.length >= 5 && auditors.body.users.every((u) => u.role === 'Auditor'));
    const bad = await get('/admin/users?limit=0');
    assert.deepEqual(refusal(bad), { code: 'VIW_E_VALIDATION', status: 400 });
  });

  it('lock ends the user’s VPN sessions (revoked events) and admin sessions; unlock restores login', async () => {
    const op = await createAccount(t.ctx, 'Operator');
    const opToken = await sessionFor(t.ctx, op.user);
    assert.equal((await t.srv.call('/admin/me', { headers: bearer(opToken) })).status, 200);
    const gw = await createGateway(t.ctx);
    const dev = await createDevice(t.ctx, op.user.id, 'active');
    const s1 = await createVpnSession(t.ctx, { userId: op.user.id, deviceId: dev.id, gatewayId: gw.id });
    const s2 = await createVpnSession(t.ctx, { userId: op.user.id, deviceId: dev.id, gatewayId: gw.id });
    const events: SessionEvent[] = [];
    const unsub = [s1, s2].map((s) => t.ctx.events.subscribe(s.id, (e) => events.push(e)));

    const res = await post<{ user: UserViewT; ended_sessions: number }>(`/admin/users/${op.user.id}/lock`);
    for (const off of unsub) off();
    assert.equal(res.status, 200);
    assert.equal(res.body.user.locked, true);
    assert.equal(res.body.ended_sessions, 2);
    assert.deepEqual(events.map((e) => [e.type, e.reason]).sort(), [
      ['revoked', 'revoked'],
      ['revoked', 'revoked'],
    ]);
    const rows = await t.ctx.db.session.findMany({ where: { userId: op.user.id } });
    assert.ok(rows.every((r) => r.endedAt && r.endReason === 'revoked'));
    const dead = await t.srv.call('/admin/me', { headers: bearer(opToken) });
    assert.deepEqual(refusal(dead), { code: 'VIW_E_TOKEN_INVALID', status: 401 });

    const unlocked = await post<{ user: UserViewT }>(`/admin/users/${op.user.id}/unlock`);
    assert.equal(unlocked.body.user.locked, false);
    const fresh = await t.ctx.db.user.findUniqueOrThrow({ where: { id: op.user.id } });
    assert.equal(
      (await t.srv.call('/admin/me', { headers: bearer(await sessionFor(t.ctx, fresh)) })).status,
      200,
    );
  });

  it('refuses to lock or reset your own account, and answers 404 for unknown ids', async () => {
    assert.deepEqual(refusal(await post(`/admin/users/${admin.user.id}/lock`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    assert.deepEqual(refusal(await post(`/admin/users/${admin.user.id}/reset-password`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    for (const action of ['lock', 'unlock', 'reset-password', 'bind-code']) {
      assert.deepEqual(refusal(await post(`/admin/users/${randomId()}/${action}`)), {
        code: 'VIW_E_NOT_FOUND',
        status: 404,
      });
    }
    assert.deepEqual(refusal(await post('/admin/users/not-a-uuid/lock')), {
      code: 'VIW_E_VALIDATION',
      status: 400,
    });
  });

  it('reset password: a new one-time password, must change, other sessions ended; optional TOTP reset', async () => {
    const aud = await createAccount(t.ctx, 'Auditor');
    const audToken = await sessionFor(t.ctx, aud.user);
    const res = await post<Created>(`/admin/users/${aud.user.id}/reset-password`, { reset_totp: true });
    assert.equal(res.status, 200);
    assert.equal(res.body.user.must_change_password, true);
    assert.equal(res.body.user.totp_enrolled, false);
    assert.equal(res.body.one_time_password.length, 20);
    assert.deepEqual(refusal(await t.srv.call('/admin/me', { headers: bearer(audToken) })), {
      code: 'VIW_E_TOKEN_INVALID',
      status: 401,
    });
    const row = await t.ctx.db.user.findUniqueOrThrow({ where: { id: aud.user.id } });
    assert.equal(row.totpSecretSealed, null);
    // The new one-time password opens a setup session (TOTP must be enrolled again).
    const login = await t.srv.call<{ state: string; required: string[] }>('/admin/login', {
      json: { username: aud.user.username, password: res.body.one_time_password },
      localAddress: '127.0.2.1',
    });
    assert.equal(login.body.state, 'setup_required');
    assert.deepEqual(login.body.required, ['password_change', 'totp_enroll']);
  });

  it('reset password ends the user’s VPN sessions like a lock, and an unused grant opens no new one', async () => {
    const d = await clientDesktop(t.ctx);
    const gw = await createGateway(t.ctx);
    const live = [
      await createVpnSession(t.ctx, { userId: d.user.id, deviceId: d.device.id, gatewayId: gw.id }),
      await createVpnSession(t.ctx, { userId: d.user.id, deviceId: d.device.id, gatewayId: gw.id }),
    ];
    const grant = await loginTokens(t.ctx, d); // a login completed just before the reset
    const events: SessionEvent[] = [];
    const unsub = live.map((s) => t.ctx.events.subscribe(s.id, (e) => events.push(e)));

    const res = await post<Created & { ended_sessions: number }>(`/admin/users/${d.user.id}/reset-password`);
    for (const off of unsub) off();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.ended_sessions, 2);
    assert.equal(res.body.user.must_change_password, true);
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [
        ['revoked', 'revoked'],
        ['revoked', 'revoked'],
      ],
    );
    const rows = await t.ctx.db.session.findMany({ where: { userId: d.user.id } });
    assert.ok(rows.length === 2 && rows.every((r) => r.endedAt && r.endReason === 'revoked'));
    // Ended through endSessions: each one audited as session.end under the reset's trace id.
    const audit = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map(
      (e) => JSON.parse(e.event) as Record<string, unknown>,
    );
    const reset = audit.findLast((e) => e.action === 'admin.user_password_reset');
    const ends = audit.filter((e) => e.action === 'session.end' && e.trace_id === reset?.trace_id);
    assert.deepEqual(ends.map((e) => e.session_id).sort(), live.map((s) => s.id).sort());

    const boot = await fetchBootstrap(t.srv, grant);
    assert.deepEqual(refusal(boot), { code: 'VIW_E_PASSWORD_CHANGE_REQUIRED', status: 403 });
    assert.equal(await t.ctx.db.session.count({ where: { userId: d.user.id, endedAt: null } }), 0);
  });

  it('issues a one-time phone bind code for a user, once', async () => {
    const u = await post<Created>('/admin/users', { username: 'bob.phone', role: 'User' });
    const res = await post<{ code: string; expires_at: string }>(`/admin/users/${u.body.user.id}/bind-code`);
    assert.equal(res.status, 201);
    assert.match(res.body.code, /^[A-HJ-KM-NP-Z2-9]{10}$/);
    const ttl = Date.parse(res.body.expires_at) - Date.now();
    assert.ok(ttl > 9 * 60_000 && ttl <= 10 * 60_000);
    const claims = await redeemBindCode(t.ctx.kv, res.body.code);
    assert.deepEqual(claims, { userId: u.body.user.id, issuedBy: admin.user.id });
    assert.equal(await redeemBindCode(t.ctx.kv, res.body.code), null);

    await post(`/admin/users/${u.body.user.id}/lock`);
    assert.deepEqual(refusal(await post(`/admin/users/${u.body.user.id}/bind-code`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
  });

  it('records every action in the audit log with the target in user_id and the actor in cmd', async () => {
    const events = (await t.ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map(
      (e) => JSON.parse(e.event) as Record<string, unknown>,
    );
    const actor = t.ctx.audit.userPseudonym(admin.user.auditId);
    const create = events.find((e) => e.action === 'admin.user_create');
    assert.equal(create?.component, 'admin');
    assert.equal(create?.cmd, actor);
    assert.match(String(create?.user_id), /^u-/);
    assert.notEqual(create?.user_id, actor);
    assert.match(String(create?.trace_id), /^[A-Za-z0-9-]{8,64}$/);
    for (const action of [
      'admin.user_lock',
      'admin.user_unlock',
      'admin.user_password_reset',
      'admin.user_totp_reset',
      'admin.bind_code_issue',
    ]) {
      assert.ok(
        events.some((e) => e.action === action && e.cmd === actor),
        action,
      );
    }
    // The lock's session.end events share its trace id.
    const lock = events.find((e) => e.action === 'admin.user_lock');
    assert.ok(events.some((e) => e.action === 'session.end' && e.trace_id === lock?.trace_id));
  });
});
