// GET /admin/overview through the real Fastify app: live sessions, the auth funnel of the last hour
// counted from the audit table (once per session for the tunnel, as the funnel metrics count),
// gateway health and open alerts — every number checked against what the test put there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OverviewReplyT } from '../../../core/api/admin-overview.js';
import { countFunnel, overview } from '../../services/admin/overview.js';
import type { ServiceAuditFacts } from '../../services/audit/service.js';
import { endSessions } from '../../services/client/end-sessions.js';
import { createAlertSink } from '../../services/detections/sink.js';
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
} from '../../testing/admin-fixtures.js';

const stagesOf = (o: OverviewReplyT) =>
  Object.fromEntries(o.funnel.stages.map((s) => [s.stage, [s.success, s.failed]]));

describe('admin API: overview', () => {
  let t: AdminTestServer;
  let auditor: string;
  before(async () => {
    t = await startAdminTestServer();
    auditor = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Auditor')).user);
  });
  after(async () => t.srv.stop());

  const get = async (token = auditor) => {
    const res = await t.srv.call<OverviewReplyT>('/admin/overview', { headers: bearer(token) });
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const record = (facts: Partial<ServiceAuditFacts> & Pick<ServiceAuditFacts, 'action' | 'result'>) =>
    t.ctx.audit.record({ component: 'backend', ...facts });

  it('counts live sessions, gateway health and unacknowledged alerts from the database', async () => {
    const before = await get();
    const u = await createAccount(t.ctx, 'User');
    const d = await createDevice(t.ctx, u.user.id, 'active');
    const ok = await createGateway(t.ctx);
    const failing = await createGateway(t.ctx);
    await t.ctx.db.gateway.update({
      where: { id: ok.id },
      data: { lastHealthOk: true, lastHealthAt: new Date() },
    });
    await t.ctx.db.gateway.update({
      where: { id: failing.id },
      data: { lastHealthOk: false, lastHealthAt: new Date() },
    });
    const fresh = await createGateway(t.ctx);
    const s1 = await createVpnSession(t.ctx, { userId: u.user.id, deviceId: d.id, gatewayId: ok.id });
    await createVpnSession(t.ctx, { userId: u.user.id, deviceId: d.id, gatewayId: ok.id });
    await endSessions(t.ctx.sessionEnd, { sessionId: s1.id }, 'revoked');
    const sink = createAlertSink({ db: t.ctx.db, audit: t.ctx.audit, log: console });
    const raise = (severity: 'warning' | 'critical', key: string) =>
      sink.raise({
        rule: 'otp_stuffing',
        severity,
        key,
        summary: 'test',
        fields: {},
        evidence: [1],
        firedAt: new Date(),
      });
    await raise('critical', 'k1');
    await raise('warning', 'k2');
    await raise('critical', 'k3');
    const acked = await t.ctx.db.alert.findFirstOrThrow({ where: { key: 'k3' } });
    await t.ctx.db.alert.update({ where: { id: acked.id }, data: { ackedAt: new Date(), ackedBy: 'u-x' } });

    const now = await get();
    assert.equal(now.sessions.live, before.sessions.live + 1);
    assert.deepEqual(
      [now.alerts.open - before.alerts.open, now.alerts.open_critical - before.alerts.open_critical],
      [2, 1],
    );
    assert.deepEqual(
      [
        now.gateways.ok - before.gateways.ok,
        now.gateways.failing - before.gateways.failing,
        now.gateways.unknown - before.gateways.unknown,
      ],
      [1, 1, 1],
    );
    assert.equal(now.gateways.total, await t.ctx.db.gateway.count());
    const health = (name: string) => now.gateways.items.find((g) => g.name === name)?.health;
    assert.deepEqual(
      [health(ok.name), health(failing.name), health(fresh.name)],
      ['ok', 'failing', 'unknown'],
    );
  });

  it('counts the funnel of the last hour: successes and failures per stage, each tunnel once', async () => {
    const before = await get();
    const events: Parameters<typeof record>[0][] = [
      { action: 'auth.login', result: 'success' },
      { action: 'auth.login', result: 'success' },
      { action: 'auth.login', result: 'failure' },
      { action: 'auth.otp_verify', result: 'success' },
      { action: 'auth.otp_verify', result: 'denied' },
      { action: 'bootstrap.issue', result: 'success' },
      // One session's tunnel seen twice by the gateway (a reconnect) and reported by the client.
      { component: 'gateway', action: 'ovpn.connect', result: 'success', session_id: 's-one' },
      { component: 'gateway', action: 'ovpn.connect', result: 'success', session_id: 's-one' },
      { component: 'client', action: 'client.tunnel_latency', result: 'success', session_id: 's-one' },
      { component: 'gateway', action: 'ovpn.connect', result: 'success', session_id: 's-two' },
      { component: 'gateway', action: 'ovpn.connect', result: 'failure', session_id: 's-three' },
      // Near misses: not funnel steps.
      { action: 'auth.login_extra', result: 'success' },
      { component: 'admin', action: 'admin.login', result: 'success' },
    ];
    for (const e of events) await record(e);
    const after = await get();
    const delta = Object.fromEntries(
      Object.entries(stagesOf(after)).map(([stage, [s, f]]) => {
        const [s0, f0] = stagesOf(before)[stage]!;
        return [stage, [s! - s0!, f! - f0!]];
      }),
    );
    assert.deepEqual(delta, { login: [2, 1], otp: [1, 1], bootstrap: [1, 0], tunnel: [2, 0] });
    assert.equal(after.funnel.complete, true);
    assert.equal(Date.parse(after.funnel.to) - Date.parse(after.funnel.from), 3600_000);
  });

  it('leaves events outside the window out, and says when it stopped at its read cap', async () => {
    await record({ action: 'auth.login', result: 'success' });
    const now = Date.now();
    const later = await countFunnel(t.ctx, new Date(now + 60_000), new Date(now + 3600_000));
    assert.ok(later.stages.every((s) => s.success === 0 && s.failed === 0));
    assert.equal(later.complete, true);
    const capped = await countFunnel(t.ctx, new Date(now - 3600_000), new Date(now + 1000), 2);
    assert.equal(capped.complete, false);
    assert.equal(
      capped.stages.reduce((n, s) => n + s.success + s.failed, 0),
      2,
    );
    // Every instance reads the same table: the service gives the route's numbers.
    const direct = await overview(t.ctx);
    const viaRoute = await get();
    assert.deepEqual(stagesOf(direct), stagesOf(viaRoute));
  });

  it('refuses without a session (401), a setup session (403) and any query parameter', async () => {
    assert.deepEqual(refusal(await t.srv.call('/admin/overview')), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    const setup = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user, 'setup');
    assert.deepEqual(refusal(await t.srv.call('/admin/overview', { headers: bearer(setup) })), {
      code: 'VIW_E_SETUP_REQUIRED',
      status: 403,
    });
    assert.deepEqual(refusal(await t.srv.call('/admin/overview?window=1h', { headers: bearer(auditor) })), {
      code: 'VIW_E_UNKNOWN_FIELD',
      status: 400,
    });
  });
});
