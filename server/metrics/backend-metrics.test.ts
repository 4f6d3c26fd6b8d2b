// The backend's /metrics end to end: a real AuditService on SQLite feeds the registry, real rows
// (users, devices, gateways, sessions) and a real SIEM shipper give the state gauges, the real
// listener serves the exposition, and Prometheus's own promtool parses it. Values are asserted
// exactly: counts after N events, histogram buckets, per-gateway gauges, the shipping lag.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../data/client.js';
import { openDatabase } from '../data/database.js';
import type { ServiceAuditFacts } from '../services/audit/service.js';
import { AuditService } from '../services/audit/service.js';
import { dbAuditSource } from '../services/audit/shipping/db-source.js';
import { type Shipper, startShipper } from '../services/audit/shipping/shipper.js';
import { waitFor } from '../services/audit/shipping/testing.js';
import { ShipError, type ShipTransport } from '../services/audit/shipping/transport.js';
import { endSessions } from '../services/client/end-sessions.js';
import { SessionEventBus } from '../services/client/events.js';
import { recordMetrics } from './audit-metrics.js';
import { startBackendMetrics } from './backend.js';
import { type BackendMetrics, createBackendMetrics } from './backend-metrics.js';
import { BoundedLabel, OTHER } from './labels.js';
import { type MetricsServer, startMetricsServer } from './server.js';
import { METRICS_DEFAULTS } from './settings.js';
import { scrapeSource, stateRefresher } from './state-collectors.js';
import {
  assertValidExposition,
  DEFAULT_METRIC_LINT,
  parseSamples,
  requirePromtool,
  type Sample,
  sampleValue,
} from './testing.js';

const T0 = Date.parse('2026-12-04T10:00:00.000Z');

describe('backend /metrics (real audit stream on SQLite, real listener, promtool)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let db: Db;
  let audit: AuditService;
  let metrics: BackendMetrics;
  let server: MetricsServer;
  let shipper: Shipper | null = null;
  let token: string;
  let unsubscribe: () => void;
  let clock = T0;
  let accept = false;
  const now = () => new Date(clock);

  const record = (facts: ServiceAuditFacts) => audit.record(facts);
  const repeat = async (n: number, facts: ServiceAuditFacts) => {
    for (let i = 0; i < n; i++) await record(facts);
  };

  async function scrape(): Promise<{ text: string; samples: Sample[] }> {
    const res = await fetch(`http://127.0.0.1:${server.address.port}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assertValidExposition(text, DEFAULT_METRIC_LINT);
    return { text, samples: parseSamples(text) };
  }

  async function seedUserDevice() {
    const hex = () => randomBytes(8).toString('hex');
    const user = await db.user.create({
      data: {
        username: `u-${hex()}`,
        role: 'User',
        passwordHash: hex(),
        kdfParams: 'scrypt$N=32768,r=8,p=1',
      },
    });
    const device = await db.desktopDevice.create({
      data: {
        userId: user.id,
        hpkePublicKey: hex(),
        signingPublicKey: hex(),
        fingerprint: hex(),
        platform: 'linux-x64',
        clientVersion: '0.1.0',
        keyProtection: 'software',
      },
    });
    return { userId: user.id, deviceId: device.id };
  }

  async function gateway(name: string, data: Record<string, unknown> = {}) {
    return db.gateway.create({
      data: { name, fqdn: `${name}.example.test`, sshHostKeyFingerprint: `SHA256:${name}`, ...data },
    });
  }

  async function session(gatewayId: string, data: Record<string, unknown> = {}) {
    const { userId, deviceId } = await seedUserDevice();
    return db.session.create({
      data: { userId, deviceId, gatewayId, expiresAt: new Date(T0 + 3600_000), ...data },
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-metrics-backend-'));
    database = await openDatabase({ dataDir: dir });
    db = database.db;
    audit = new AuditService(db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32), {
      dataDir: dir,
      now,
    });
    metrics = createBackendMetrics();
    unsubscribe = recordMetrics(audit, metrics);
    const refresh = stateRefresher(metrics, { db, shipping: () => (shipper ? [shipper.stats()] : []), now });
    server = await startMetricsServer({
      listen: '127.0.0.1:0',
      tokenFile: join(dir, 'metrics', 'token'),
      registry: scrapeSource(metrics, refresh),
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    token = readFileSync(join(dir, 'metrics', 'token'), 'utf8').trim();
  });
  after(async () => {
    unsubscribe?.();
    await server?.close();
    await shipper?.stop();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs promtool (Debian package prometheus)', (t) => {
    requirePromtool(t);
  });

  it('counts the auth funnel: login → OTP → bootstrap → tunnel (once per session)', async (t) => {
    if (!requirePromtool(t)) return;
    await repeat(3, { component: 'backend', action: 'auth.login', result: 'success' });
    await record({
      component: 'backend',
      action: 'auth.login',
      result: 'failure',
      country: 'DE',
      src_ip: '192.0.2.1',
    });
    await repeat(2, { component: 'backend', action: 'auth.otp_verify', result: 'success' });
    await record({ component: 'backend', action: 'auth.otp_verify', result: 'failure', country: 'FR' });
    await repeat(2, { component: 'backend', action: 'bootstrap.issue', result: 'success' });
    // Session s1: the gateway sees the tunnel and the client reports it — one tunnel; s1 reconnects — still one.
    await record({
      component: 'gateway',
      action: 'ovpn.connect',
      result: 'success',
      session_id: 's1',
      gateway: 'gw-a',
    });
    await record({
      component: 'client',
      action: 'client.tunnel_latency',
      result: 'success',
      session_id: 's1',
      duration_ms: 900,
    });
    await record({
      component: 'gateway',
      action: 'ovpn.connect',
      result: 'success',
      session_id: 's1',
      gateway: 'gw-a',
    });
    await record({
      component: 'client',
      action: 'client.tunnel_latency',
      result: 'success',
      session_id: 's2',
      duration_ms: 1700,
    });
    const { samples } = await scrape();
    const funnel = (stage: string, result: string) =>
      sampleValue(samples, 'viworks_auth_funnel_total', { stage, result });
    assert.equal(funnel('login', 'success'), 3);
    assert.equal(funnel('login', 'failure'), 1);
    assert.equal(funnel('otp', 'success'), 2);
    assert.equal(funnel('otp', 'failure'), 1);
    assert.equal(funnel('bootstrap', 'success'), 2);
    assert.equal(funnel('tunnel', 'success'), 2);
    assert.equal(funnel('bootstrap', 'failure'), undefined, 'no series for what never happened');
  });

  it('counts audit events by component, action prefix and result; auth failures by country only', async (t) => {
    if (!requirePromtool(t)) return;
    await record({ component: 'admin', action: 'admin.login', result: 'failure' });
    await record({ component: 'admin', action: 'admin.login', result: 'denied', country: 'DE' });
    // Near misses: an error is not a credential failure; a success is not either.
    await record({ component: 'backend', action: 'auth.login', result: 'error', country: 'DE' });
    await record({ component: 'backend', action: 'auth.otp_deny', result: 'success', country: 'DE' });
    const { samples } = await scrape();
    const events = (component: string, action_prefix: string, result: string) =>
      sampleValue(samples, 'viworks_audit_events_total', { component, action_prefix, result });
    assert.equal(events('backend', 'auth', 'success'), 3 + 2 + 1);
    assert.equal(events('backend', 'auth', 'failure'), 2);
    assert.equal(events('backend', 'auth', 'error'), 1);
    assert.equal(events('backend', 'bootstrap', 'success'), 2);
    assert.equal(events('gateway', 'ovpn', 'success'), 2);
    assert.equal(events('client', 'client', 'success'), 2);
    assert.equal(events('admin', 'admin', 'denied'), 1);
    const failures = (country: string) => sampleValue(samples, 'viworks_auth_failures_total', { country });
    assert.equal(failures('DE'), 2, 'auth.login failure + admin.login denied');
    assert.equal(failures('FR'), 1);
    assert.equal(failures('unknown'), 1);
    const labels = new Set(
      samples.filter((s) => s.name === 'viworks_auth_failures_total').flatMap((s) => Object.keys(s.labels)),
    );
    assert.deepEqual([...labels], ['country'], 'no ASN, user or address label');
  });

  it('observes client latencies in buckets around the SLOs (400 / 800 ms, 2 s)', async (t) => {
    if (!requirePromtool(t)) return;
    for (const ms of [350, 700, 1200])
      await record({
        component: 'client',
        action: 'client.tls_latency',
        result: 'success',
        session_id: 's1',
        duration_ms: ms,
      });
    // Near miss: the same action from a non-client component is not a client report.
    await record({ component: 'backend', action: 'client.tls_latency', result: 'success', duration_ms: 10 });
    const { samples } = await scrape();
    const spa = (le: string) => sampleValue(samples, 'viworks_client_spa_to_tls_seconds_bucket', { le });
    assert.equal(spa('0.3'), 0);
    assert.equal(spa('0.4'), 1);
    assert.equal(spa('0.8'), 2);
    assert.equal(spa('1'), 2);
    assert.equal(spa('1.5'), 3);
    assert.equal(spa('+Inf'), 3);
    assert.equal(sampleValue(samples, 'viworks_client_spa_to_tls_seconds_count'), 3);
    assert.ok(Math.abs((sampleValue(samples, 'viworks_client_spa_to_tls_seconds_sum') ?? 0) - 2.25) < 1e-9);
    const tunnel = (le: string) =>
      sampleValue(samples, 'viworks_client_tls_to_tunnel_seconds_bucket', { le });
    assert.equal(tunnel('0.75'), 0);
    assert.equal(tunnel('1'), 1, '900 ms');
    assert.equal(tunnel('1.5'), 1);
    assert.equal(tunnel('2'), 2, '1700 ms, inside the 2 s bring-up');
  });

  it('counts gateway handshakes per gateway, step and result, and alerts per rule and severity', async (t) => {
    if (!requirePromtool(t)) return;
    await repeat(2, {
      component: 'gateway',
      action: 'tls.handshake',
      result: 'success',
      gateway: 'gw-a',
      proto: 'TLSv1.3',
    });
    await record({
      component: 'gateway',
      action: 'tls.handshake',
      result: 'failure',
      gateway: 'gw-a',
      error_msg: 'no shared cipher',
    });
    await record({
      component: 'gateway',
      action: 'spa.rejected',
      result: 'denied',
      gateway: 'gw-b',
      src_ip: '192.0.2.9',
    });
    await record({
      component: 'gateway',
      action: 'spa.accepted',
      result: 'success',
      gateway: 'gw-b',
      fwknop_id: 'k1',
    });
    await record({
      component: 'gateway',
      action: 'ovpn.handshake_failed',
      result: 'failure',
      gateway: 'gw-b',
    });
    await record({ component: 'gateway', action: 'tls.handshake', result: 'success' });
    // Near miss: the backend's own listener is not a gateway.
    await record({ component: 'backend', action: 'tls.handshake', result: 'failure', gateway: 'gw-a' });
    await record({
      component: 'backend',
      action: 'alert.otp_stuffing',
      result: 'success',
      severity: 'critical',
    });
    await repeat(2, {
      component: 'backend',
      action: 'alert.spa_without_tls',
      result: 'success',
      severity: 'warning',
    });
    await record({
      component: 'admin',
      action: 'policy.relaxation_requested',
      result: 'success',
      policy_id: 'p-default',
    });
    await record({
      component: 'admin',
      action: 'policy.relaxation_approved',
      result: 'success',
      policy_id: 'p-default',
    });
    await record({
      component: 'backend',
      action: 'policy.session_end',
      result: 'denied',
      severity: 'warning',
    });
    // Near miss: an alert.* action from a gateway is not one of our detections.
    await record({
      component: 'gateway',
      action: 'alert.otp_stuffing',
      result: 'success',
      severity: 'critical',
    });
    const { samples } = await scrape();
    const hs = (gateway: string, step: string, result: string) =>
      sampleValue(samples, 'viworks_gateway_handshakes_total', { gateway, step, result });
    assert.equal(hs('gw-a', 'tls', 'success'), 2);
    assert.equal(hs('gw-a', 'tls', 'failure'), 1);
    assert.equal(hs('gw-a', 'openvpn', 'success'), 2, 'ovpn.connect, reconnect included');
    assert.equal(hs('gw-b', 'spa', 'denied'), 1);
    assert.equal(hs('gw-b', 'spa', 'success'), 1);
    assert.equal(hs('gw-b', 'openvpn', 'failure'), 1);
    assert.equal(hs('unknown', 'tls', 'success'), 1, 'an event without its gateway');
    const alerts = (rule: string, severity: string) =>
      sampleValue(samples, 'viworks_alerts_total', { rule, severity });
    assert.equal(alerts('otp_stuffing', 'critical'), 1);
    assert.equal(alerts('spa_without_tls', 'warning'), 2);
    const policy = (action: string, result: string) =>
      sampleValue(samples, 'viworks_policy_events_total', { action, result });
    assert.equal(policy('policy.relaxation_requested', 'success'), 1);
    assert.equal(policy('policy.relaxation_approved', 'success'), 1);
    assert.equal(policy('policy.session_end', 'denied'), 1);
    assert.equal(
      sampleValue(samples, 'viworks_audit_events_total', {
        component: 'admin',
        action_prefix: 'policy',
        result: 'success',
      }),
      2,
    );
  });

  it('reads live sessions and gateway health from the database on each scrape', async (t) => {
    if (!requirePromtool(t)) return;
    const a = await gateway('gw-a', {
      status: 'active',
      lastHealthOk: true,
      lastHealthAt: new Date(T0 - 30_000),
    });
    const b = await gateway('gw-b', {
      status: 'draining',
      lastHealthOk: false,
      lastHealthAt: new Date(T0 - 90_000),
    });
    const c = await gateway('gw-c', { status: 'disabled', lastHealthOk: true, lastHealthAt: new Date(T0) });
    await gateway('gw-d', { status: 'active' });
    await session(a.id);
    await session(a.id);
    await session(b.id);
    await session(a.id, { expiresAt: new Date(T0 - 1) }); // expired, not yet swept: not live
    await session(b.id, { endedAt: new Date(T0 - 5), endReason: 'logout' }); // ended
    await session(c.id); // live on a disabled gateway: counted, its health is not expected
    let { samples } = await scrape();
    assert.equal(sampleValue(samples, 'viworks_sessions_active'), 4);
    const g = (name: string, gw: string) => sampleValue(samples, name, { gateway: gw });
    assert.equal(g('viworks_gateway_up', 'gw-a'), 1);
    assert.equal(g('viworks_gateway_up', 'gw-b'), 0);
    assert.equal(g('viworks_gateway_up', 'gw-c'), undefined, 'disabled: not watched');
    assert.equal(g('viworks_gateway_up', 'gw-d'), 0, 'never checked: not up');
    assert.equal(g('viworks_gateway_last_health_timestamp_seconds', 'gw-a'), (T0 - 30_000) / 1000);
    assert.equal(g('viworks_gateway_last_health_timestamp_seconds', 'gw-b'), (T0 - 90_000) / 1000);
    assert.equal(g('viworks_gateway_last_health_timestamp_seconds', 'gw-d'), undefined);
    assert.equal(g('viworks_gateway_sessions', 'gw-a'), 2);
    assert.equal(g('viworks_gateway_sessions', 'gw-b'), 1);
    assert.equal(g('viworks_gateway_sessions', 'gw-c'), 1);
    assert.equal(g('viworks_gateway_sessions', 'gw-d'), 0);

    // A gateway taken out of service and its health changing show at the next scrape.
    await db.gateway.update({ where: { id: b.id }, data: { status: 'disabled' } });
    await db.gateway.update({ where: { id: a.id }, data: { lastHealthOk: false } });
    ({ samples } = await scrape());
    assert.equal(sampleValue(samples, 'viworks_gateway_up', { gateway: 'gw-b' }), undefined);
    assert.equal(sampleValue(samples, 'viworks_gateway_up', { gateway: 'gw-a' }), 0);
  });

  it('times revocation from session.end to the gateway confirming terminate_session', async (t) => {
    if (!requirePromtool(t)) return;
    const gw = await db.gateway.findFirstOrThrow({ where: { name: 'gw-a' } });
    const s1 = await session(gw.id);
    const s2 = await session(gw.id);
    const deps = { db, audit, events: new SessionEventBus(), now };
    clock = T0 + 60_000;
    await endSessions(deps, { sessionId: s1.id }, 'revoked');
    await endSessions(deps, { sessionId: s2.id }, 'policy');
    // s1: a first attempt fails (retried), the second confirms 1.5 s after the end.
    clock = T0 + 60_700;
    await record({
      component: 'gateway',
      action: 'gateway.terminate_session',
      result: 'error',
      session_id: s1.id,
      cmd: 'terminate_session',
    });
    clock = T0 + 61_500;
    await record({
      component: 'gateway',
      action: 'gateway.terminate_session',
      result: 'success',
      session_id: s1.id,
      cmd: 'terminate_session',
    });
    // s2: confirmed after 12 s — over the 10 s objective.
    clock = T0 + 72_000;
    await record({
      component: 'gateway',
      action: 'gateway.terminate_session',
      result: 'success',
      session_id: s2.id,
      cmd: 'terminate_session',
    });
    // Near misses: a second confirmation, and one for a session never ended here, are not observed.
    await record({
      component: 'gateway',
      action: 'gateway.terminate_session',
      result: 'success',
      session_id: s1.id,
      cmd: 'terminate_session',
    });
    await record({
      component: 'gateway',
      action: 'gateway.terminate_session',
      result: 'success',
      session_id: 'nope',
      cmd: 'terminate_session',
    });
    const { samples } = await scrape();
    const rev = (reason: string, le: string) =>
      sampleValue(samples, 'viworks_session_revocation_seconds_bucket', { reason, le });
    assert.equal(rev('revoked', '1'), 0);
    assert.equal(rev('revoked', '2'), 1);
    assert.equal(sampleValue(samples, 'viworks_session_revocation_seconds_sum', { reason: 'revoked' }), 1.5);
    assert.equal(rev('policy', '10'), 0);
    assert.equal(rev('policy', '20'), 1);
    assert.equal(sampleValue(samples, 'viworks_session_revocation_seconds_count', { reason: 'policy' }), 1);
    assert.equal(sampleValue(samples, 'viworks_session_revocation_failures_total', { reason: 'revoked' }), 1);
    clock = T0 + 120_000;
  });

  it('shows the SIEM shipping lag from the real shipper: events and age waiting, then none', async (t) => {
    if (!requirePromtool(t)) return;
    const path = { path: 'syslog' };
    let { samples } = await scrape();
    assert.equal(
      sampleValue(samples, 'viworks_siem_shipping_lag_events', path),
      undefined,
      'no path, no series',
    );
    // A real shipper whose receiver refuses until `accept` (a retryable failure, as a SIEM that is down).
    const transport: ShipTransport = {
      path: 'syslog',
      send: async () => {
        if (!accept) throw new ShipError('receiver down', true);
      },
      close: async () => undefined,
    };
    const running = startShipper({
      path: 'syslog',
      transport,
      spoolDir: join(dir, 'audit', 'spool', 'syslog'),
      maxBytes: 1024 * 1024,
      source: dbAuditSource(db),
      onAlert: () => undefined,
      now,
      random: () => 0,
    });
    shipper = running;
    const head = await db.auditEvent.count();
    await waitFor('the spool to take every event', 10_000, () => running.stats().spooledSeq === head);
    ({ samples } = await scrape());
    assert.equal(sampleValue(samples, 'viworks_siem_shipping_lag_events', path), head);
    // The oldest unacknowledged event is the first one, recorded at T0; the clock is at T0 + 120 s.
    assert.equal(sampleValue(samples, 'viworks_siem_shipping_lag_seconds', path), 120);
    assert.ok((sampleValue(samples, 'viworks_siem_spool_bytes', path) ?? 0) > 0);
    assert.equal(sampleValue(samples, 'viworks_siem_spool_max_bytes', path), 1024 * 1024);
    accept = true;
    clock += 60_000; // past the shipper's backoff, which runs on the same clock
    await waitFor('the receiver to take the backlog', 15_000, () => running.stats().ackedSeq === head);
    ({ samples } = await scrape());
    assert.equal(sampleValue(samples, 'viworks_siem_shipping_lag_events', path), 0);
    assert.equal(sampleValue(samples, 'viworks_siem_shipping_lag_seconds', path), 0);
    assert.equal(sampleValue(samples, 'viworks_siem_delivery_failing', path), 0);
  });

  it('exports the process metrics with the viworks_backend_ prefix', async (t) => {
    if (!requirePromtool(t)) return;
    const { samples } = await scrape();
    assert.ok((sampleValue(samples, 'viworks_backend_process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(samples.some((s) => s.name === 'viworks_backend_nodejs_eventloop_lag_seconds'));
    assert.ok(
      samples.every((s) => s.name.startsWith('viworks_')),
      'every name in our namespace',
    );
  });
});

describe('bounded labels', () => {
  it('keeps at most max distinct values, folding the rest into `other`; cleans odd characters', () => {
    const l = new BoundedLabel(2);
    assert.equal(l.of('a'), 'a');
    assert.equal(l.of('b'), 'b');
    assert.equal(l.of('c'), OTHER);
    assert.equal(l.of('a'), 'a', 'a known value stays');
    assert.equal(l.of(null), OTHER, 'unknown is a value too, and there is no room left');
    assert.equal(new BoundedLabel(4).of('x\ny'), 'x?y');
    assert.equal(new BoundedLabel(4).of('z'.repeat(100)).length, 64);
  });
});

describe('startBackendMetrics (what server/start.ts calls)', () => {
  it('is off by default: no listener, no subscriber', async () => {
    const subscribed: unknown[] = [];
    const off = await startBackendMetrics({
      settings: METRICS_DEFAULTS,
      dataDir: '/nonexistent',
      db: {} as Db,
      audit: {
        onRecorded: (l) => {
          subscribed.push(l);
          return () => undefined;
        },
      },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    assert.equal(off, null);
    assert.equal(subscribed.length, 0);
  });

  it('when listening: the token under <dataDir>/metrics, the audit subscriber, and stop() undoes both', async (t) => {
    if (!requirePromtool(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'viw-metrics-start-'));
    const database = await openDatabase({ dataDir: dir });
    try {
      const audit = new AuditService(
        database.db,
        { env: 'test', site: 'lab', tenant_id: 't1' },
        randomBytes(32),
      );
      const running = await startBackendMetrics({
        settings: { listen: '127.0.0.1:0', tokenFile: null },
        dataDir: dir,
        db: database.db,
        audit,
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      assert.ok(running);
      const token = readFileSync(join(dir, 'metrics', 'token'), 'utf8').trim();
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
      const url = `http://127.0.0.1:${running.server.address.port}/metrics`;
      const text = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
      assertValidExposition(text, DEFAULT_METRIC_LINT);
      const samples = parseSamples(text);
      assert.equal(
        sampleValue(samples, 'viworks_auth_funnel_total', { stage: 'login', result: 'success' }),
        1,
      );
      assert.equal(sampleValue(samples, 'viworks_sessions_active'), 0);
      await running.stop();
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
      assert.equal(
        (await running.metrics.funnel.get()).values.find((v) => v.labels.stage === 'login')?.value,
        1,
        'unsubscribed',
      );
      await assert.rejects(fetch(url, { headers: { authorization: `Bearer ${token}` } }));
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
