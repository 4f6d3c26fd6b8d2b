import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeviceViewT, SessionViewT } from '../../../core/api/admin.js';
import type { SessionEvent } from '../../services/client/events.js';
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
} from '../../testing/admin-fixtures.js';

describe('admin API: desktop devices and VPN sessions', () => {
  let t: AdminTestServer;
  let token: string;
  let gatewayId: string;
  before(async () => {
    t = await startAdminTestServer();
    const op = await createAccount(t.ctx, 'Operator');
    token = await sessionFor(t.ctx, op.user);
    gatewayId = (await createGateway(t.ctx)).id;
  });
  after(async () => t.srv.stop());

  const post = <T>(path: string) => t.srv.call<T>(path, { headers: bearer(token), method: 'POST' });
  const get = <T>(path: string) => t.srv.call<T>(path, { headers: bearer(token) });
  const listen = (sessionIds: string[]) => {
    const events: SessionEvent[] = [];
    const offs = sessionIds.map((id) => t.ctx.events.subscribe(id, (e) => events.push(e)));
    return {
      events,
      stop: () => {
        for (const off of offs) off();
      },
    };
  };

  it('lists devices filtered by user and status', async () => {
    const u1 = await createAccount(t.ctx, 'User');
    const u2 = await createAccount(t.ctx, 'User');
    await createDevice(t.ctx, u1.user.id, 'pending_approval');
    await createDevice(t.ctx, u1.user.id, 'active');
    await createDevice(t.ctx, u2.user.id, 'pending_approval');
    const mine = await get<{ devices: DeviceViewT[] }>(`/admin/devices?user_id=${u1.user.id}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.devices.length, 2);
    assert.ok(mine.body.devices.every((d) => d.user_id === u1.user.id && d.username === u1.user.username));
    const pending = await get<{ devices: DeviceViewT[] }>(
      `/admin/devices?user_id=${u1.user.id}&status=pending_approval`,
    );
    assert.deepEqual(
      pending.body.devices.map((d) => d.status),
      ['pending_approval'],
    );
    assert.ok(!/hpke|signing_public/i.test(mine.text));
    const bad = await get('/admin/devices?status=stolen');
    assert.deepEqual(refusal(bad), { code: 'VIW_E_VALIDATION', status: 400 });
  });

  it('approves a pending device once', async () => {
    const u = await createAccount(t.ctx, 'User');
    const d = await createDevice(t.ctx, u.user.id);
    const res = await post<{ device: DeviceViewT }>(`/admin/devices/${d.id}/approve`);
    assert.equal(res.status, 200);
    assert.equal(res.body.device.status, 'active');
    assert.ok(res.body.device.approved_at);
    assert.deepEqual(refusal(await post(`/admin/devices/${d.id}/approve`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    assert.deepEqual(refusal(await post(`/admin/devices/${randomId()}/approve`)), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });
  });

  it('unbind revokes the device and ends its sessions with a revoked event; others untouched', async () => {
    const u = await createAccount(t.ctx, 'User');
    const d = await createDevice(t.ctx, u.user.id, 'active');
    const other = await createDevice(t.ctx, u.user.id, 'active');
    const s = await createVpnSession(t.ctx, { userId: u.user.id, deviceId: d.id, gatewayId });
    const keep = await createVpnSession(t.ctx, { userId: u.user.id, deviceId: other.id, gatewayId });
    const sub = listen([s.id, keep.id]);
    const res = await post<{ device: DeviceViewT; ended_sessions: number }>(`/admin/devices/${d.id}/unbind`);
    sub.stop();
    assert.equal(res.status, 200);
    assert.equal(res.body.device.status, 'revoked');
    assert.equal(res.body.ended_sessions, 1);
    assert.deepEqual(
      sub.events.map((e) => [e.type, e.sessionId, e.reason]),
      [['revoked', s.id, 'revoked']],
    );
    const rows = await t.ctx.db.session.findMany({ where: { id: { in: [s.id, keep.id] } } });
    assert.equal(rows.find((r) => r.id === s.id)?.endReason, 'revoked');
    assert.equal(rows.find((r) => r.id === keep.id)?.endedAt, null);
    assert.deepEqual(refusal(await post(`/admin/devices/${d.id}/unbind`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
  });

  it('lists live and ended sessions, and terminate ends one with a revoked event', async () => {
    const u = await createAccount(t.ctx, 'User');
    const d = await createDevice(t.ctx, u.user.id, 'active');
    const a = await createVpnSession(t.ctx, { userId: u.user.id, deviceId: d.id, gatewayId });
    const b = await createVpnSession(t.ctx, { userId: u.user.id, deviceId: d.id, gatewayId });
    const live = await get<{ sessions: SessionViewT[] }>(`/admin/sessions?user_id=${u.user.id}`);
    assert.deepEqual(live.body.sessions.map((s) => s.id).sort(), [a.id, b.id].sort());
    assert.ok(live.body.sessions.every((s) => s.state === 'live' && s.username === u.user.username));

    const sub = listen([a.id, b.id]);
    const res = await post<{ session: SessionViewT }>(`/admin/sessions/${a.id}/terminate`);
    sub.stop();
    assert.equal(res.status, 200);
    assert.equal(res.body.session.state, 'ended');
    assert.equal(res.body.session.end_reason, 'revoked');
    assert.deepEqual(
      sub.events.map((e) => [e.type, e.sessionId]),
      [['revoked', a.id]],
    );
    const ended = await get<{ sessions: SessionViewT[] }>(`/admin/sessions?state=ended&user_id=${u.user.id}`);
    assert.deepEqual(
      ended.body.sessions.map((s) => s.id),
      [a.id],
    );
    const stillLive = await get<{ sessions: SessionViewT[] }>(`/admin/sessions?state=live&device_id=${d.id}`);
    assert.deepEqual(
      stillLive.body.sessions.map((s) => s.id),
      [b.id],
    );
    const everything = await get<{ sessions: SessionViewT[] }>(
      `/admin/sessions?state=all&user_id=${u.user.id}&limit=1`,
    );
    assert.equal(everything.body.sessions.length, 1);
    assert.deepEqual(refusal(await post(`/admin/sessions/${a.id}/terminate`)), {
      code: 'VIW_E_CONFLICT',
      status: 409,
    });
    assert.deepEqual(refusal(await post(`/admin/sessions/${randomId()}/terminate`)), {
      code: 'VIW_E_NOT_FOUND',
      status: 404,
    });

    const audit = (await t.ctx.db.auditEvent.findMany()).map(
      (e) => JSON.parse(e.event) as Record<string, unknown>,
    );
    const term = audit.find((e) => e.action === 'admin.session_terminate');
    assert.equal(term?.session_id, a.id);
    assert.equal(term?.device_id, d.id);
    assert.equal(term?.user_id, t.ctx.audit.userPseudonym(u.user.auditId));
  });
});
