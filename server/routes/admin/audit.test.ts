import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditRecordViewT } from '../../../core/api/admin.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  createDevice,
  createGateway,
  createVpnSession,
  refusal,
  sessionFor,
  startAdminTestServer,
  type TestAccount,
} from '../../testing/admin-fixtures.js';

interface Reply {
  events: AuditRecordViewT[];
  next_cursor: string | null;
}

describe('admin API: audit query', () => {
  let t: AdminTestServer;
  let auditor: string;
  let admin: TestAccount;
  let target: TestAccount;
  let sessionId: string;
  let deviceId: string;
  let idleDeviceId: string;
  before(async () => {
    t = await startAdminTestServer();
    admin = await createAccount(t.ctx, 'Admin');
    target = await createAccount(t.ctx, 'User');
    auditor = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
    const adminToken = await sessionFor(t.ctx, admin.user);
    // A known stream: 6 creates, a lock (with its session.end) and an unlock.
    for (let i = 0; i < 6; i++) {
      await t.srv.call('/admin/users', {
        headers: bearer(adminToken),
        json: { username: `audit-${i}`, role: 'User' },
      });
    }
    const gw = await createGateway(t.ctx);
    const dev = await createDevice(t.ctx, target.user.id, 'active');
    deviceId = dev.id;
    idleDeviceId = (await createDevice(t.ctx, target.user.id, 'active')).id;
    sessionId = (
      await createVpnSession(t.ctx, { userId: target.user.id, deviceId: dev.id, gatewayId: gw.id })
    ).id;
    await t.srv.call(`/admin/users/${target.user.id}/lock`, { headers: bearer(adminToken), method: 'POST' });
    await t.srv.call(`/admin/users/${target.user.id}/unlock`, {
      headers: bearer(adminToken),
      method: 'POST',
    });
  });
  after(async () => t.srv.stop());

  const query = (qs: string) => t.srv.call<Reply>(`/admin/audit?${qs}`, { headers: bearer(auditor) });

  async function collect(qs: string): Promise<AuditRecordViewT[]> {
    const out: AuditRecordViewT[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: { status: number; body: Reply } = await query(
        `${qs}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.events.length <= 2);
      out.push(...page.body.events);
      cursor = page.body.next_cursor;
      if (!cursor) return out;
    }
    throw new Error('pagination did not end');
  }

  it('pages over the whole log by seq, newest first or oldest first, without gaps or repeats', async () => {
    const total = await t.ctx.db.auditEvent.count();
    const desc = await collect('order=desc');
    assert.equal(desc.length, total);
    assert.deepEqual(
      desc.map((e) => e.seq),
      Array.from({ length: total }, (_, i) => total - i),
    );
    const asc = await collect('order=asc');
    assert.deepEqual(
      asc.map((e) => e.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.match(asc[0]!.hash, /^[0-9a-f]{64}$/);
  });

  it('filters by action prefix, result, user pseudonym, actor, session id, device and time range', async () => {
    const creates = await collect('action_prefix=admin.user_create');
    assert.equal(creates.length, 6);
    assert.ok(creates.every((e) => e.event.action === 'admin.user_create' && e.event.component === 'admin'));

    const targetPseudonym = t.ctx.audit.userPseudonym(target.user.auditId);
    const aboutTarget = await collect(`user_id=${targetPseudonym}`);
    assert.deepEqual(aboutTarget.map((e) => e.event.action).sort(), [
      'admin.user_lock',
      'admin.user_unlock',
      'session.end',
    ]);

    const byAdmin = await collect(
      `actor=${t.ctx.audit.userPseudonym(admin.user.auditId)}&action_prefix=admin.`,
    );
    assert.equal(byAdmin.length, 8);

    const bySession = await collect(`session_id=${sessionId}`);
    assert.deepEqual(
      bySession.map((e) => e.event.action),
      ['session.end'],
    );

    // The lock ended the device's session; the user's other device has no event (the near miss).
    const byDevice = await collect(`device_id=${deviceId}`);
    assert.deepEqual(
      byDevice.map((e) => [e.event.action, e.event.device_id]),
      [['session.end', deviceId]],
    );
    assert.deepEqual(await collect(`device_id=${idleDeviceId}`), []);

    const failures = await collect('result=failure');
    assert.equal(failures.length, 0);
    // `_` is a LIKE wildcard on SQLite; the exact check must still hold.
    assert.equal((await collect('action_prefix=admin.user_c')).length, 6);
    assert.equal((await collect('action_prefix=admin.userxc')).length, 0);

    const all = await collect('order=asc');
    const mid = all[3]!.event.timestamp;
    const from = await collect(`order=asc&from=${mid}`);
    assert.ok(from.length >= 1 && from.every((e) => e.event.timestamp >= mid));
    const to = await collect(`order=asc&to=${mid}`);
    assert.ok(to.every((e) => e.event.timestamp < mid));
    assert.equal(from.length + to.length, all.length);
  });

  it('refuses malformed filters and cursors', async () => {
    for (const qs of [
      'limit=201',
      'user_id=alice',
      'device_id=laptop-1',
      'result=maybe',
      'cursor=abc',
      'from=yesterday',
      'order=up',
    ]) {
      assert.deepEqual(refusal(await query(qs)), { code: 'VIW_E_VALIDATION', status: 400 }, qs);
    }
    assert.deepEqual(refusal(await query('actor_name=x')), { code: 'VIW_E_UNKNOWN_FIELD', status: 400 });
  });
});
