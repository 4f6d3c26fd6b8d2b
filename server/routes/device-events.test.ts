// POST /device/events over real HTTPS with real enrolled device keys: an accepted report is one
// audit event (component client) with the right fields for its type; a batch is recorded whole or
// not at all; bad signatures, unknown/pending/revoked devices, foreign sessions, fields of another
// type, unknown fields and hostile details are refused and audit nothing; both rate limits (the
// device's counts each report of a batch).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DeviceEventReport, DeviceSecurityEventAccepted } from '../../core/api/device-events.js';
import type { AuditEvent } from '../../core/audit/event.js';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { generateSigningKeyPair, signRequest } from '../../core/crypto/request-signing.js';
import type { HttpReply } from '../testing/harness.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  createToken,
  createUser,
  ctxOf,
  enrollBody,
  enrolledDesktop,
  freshIp,
  newDesktopKeys,
  signedCall,
} from '../testing/identity-fixtures.js';

type Device = Awaited<ReturnType<typeof enrolledDesktop>>;
const PW = 'security events password 7';

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.body as { code: string }).code, code, reply.text);
  assert.ok(!reply.text.includes('stack'));
}

describe('POST /device/events', () => {
  let ts: TestServer;
  let alice: { id: string; auditId: string };
  let laptop: Device;
  let desktop: Device;

  /** A leak report (the v1 shape), with `over` on top (of any type: tests build wrong ones too). */
  const report = (over: Record<string, unknown> = {}): DeviceEventReport =>
    ({
      type: 'dns_leak_detected',
      session_id: null,
      detected_at: new Date(Date.now() - 1500).toISOString(),
      reason: 'resolver_changed',
      detail: 'resolver 192.0.2.53 on eth0',
      ...over,
    }) as DeviceEventReport;
  const send = (d: Device, json: unknown, ip = freshIp(), secretKey = d.keys.signing.secretKey) =>
    signedCall<DeviceSecurityEventAccepted>(ts, '/device/events', {
      keyId: d.deviceId,
      secretKey,
      json,
      localAddress: ip,
    });
  /** The audit stream without the detection rules' own `alert.*` events (they follow a leak report on their own time). */
  const audit = async (): Promise<AuditEvent[]> =>
    (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((e) => JSON.parse(e.event) as AuditEvent)
      .filter((e) => !e.action.startsWith('alert.'));
  /** Runs `refused` and checks it wrote no audit event at all. */
  const auditsNothing = async (refused: () => Promise<void>) => {
    const before = await ctxOf(ts).db.auditEvent.count();
    await refused();
    assert.equal(await ctxOf(ts).db.auditEvent.count(), before, 'a refusal is not audited');
  };
  const sessionOf = async (d: Device) => {
    const ctx = ctxOf(ts);
    const device = await ctx.db.desktopDevice.findUniqueOrThrow({ where: { id: d.deviceId } });
    const row = await ctx.db.session.create({
      data: {
        userId: device.userId,
        deviceId: device.id,
        gatewayId: ctx.gateway.id,
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    return { id: row.id, wire: toWireId('s', row.id) };
  };

  before(async () => {
    ts = await startTestServer({ mode: 'development' });
    alice = await createUser(ts, 'alice', PW);
    await createUser(ts, 'bob', PW);
    laptop = await enrolledDesktop(ts, 'alice', PW);
    desktop = await enrolledDesktop(ts, 'alice', PW);
  });
  after(async () => ts.stop());

  it('records an accepted report as one audit event with device, user, session, reason and detail', async () => {
    const session = await sessionOf(laptop);
    const ip = freshIp();
    const before = (await audit()).length;
    const reply = await send(laptop, report({ session_id: session.wire }), ip);
    assert.equal(reply.status, 202, reply.text);
    assert.deepEqual(Object.keys(reply.body).sort(), ['accepted', 'event_id']);
    assert.equal(reply.body.accepted, true);
    assert.equal(
      reply.body.event_id,
      reply.headers['x-trace-id'],
      'the id is the trace id of its audit event',
    );

    const events = await audit();
    assert.equal(events.length, before + 1, 'exactly one event');
    const e = events.at(-1)!;
    assert.equal(e.action, 'client.dns_leak_detected');
    assert.equal(e.component, 'client');
    assert.equal(e.result, 'failure');
    assert.equal(e.severity, 'warning');
    assert.equal(e.device_id, laptop.deviceId);
    assert.equal(e.user_id, ctxOf(ts).audit.userPseudonym(alice.auditId));
    assert.equal(e.session_id, session.id);
    assert.equal(e.src_ip, ip);
    assert.equal(e.trace_id, reply.body.event_id);
    assert.equal(e.error_msg, 'resolver_changed: resolver 192.0.2.53 on eth0');
    assert.equal(e.error_code, null);
    assert.ok(
      e.duration_ms !== null && e.duration_ms >= 1500 && e.duration_ms < 60_000,
      'detected → reported',
    );

    // Outside a session, another type: no session id; a failed kill switch is more severe.
    const off = await send(
      laptop,
      report({ type: 'kill_switch_failed', reason: 'kill_switch_missing', detail: '' }),
    );
    assert.equal(off.status, 202, off.text);
    const k = (await audit()).at(-1)!;
    assert.equal(k.action, 'client.kill_switch_failed');
    assert.equal(k.severity, 'error');
    assert.equal(k.session_id, null);
    assert.equal(k.error_msg, 'kill_switch_missing');

    // A debugger on viworksd, in a session: as severe as a missing kill switch.
    const traced = await send(
      laptop,
      report({
        type: 'debugger_attached',
        reason: 'tracer_attached',
        session_id: session.wire,
        detail: 'tracer strace',
      }),
    );
    assert.equal(traced.status, 202, traced.text);
    const t = (await audit()).at(-1)!;
    assert.equal(t.action, 'client.debugger_attached');
    assert.equal(t.component, 'client');
    assert.equal(t.result, 'failure');
    assert.equal(t.severity, 'error');
    assert.equal(t.session_id, session.id);
    assert.equal(t.error_msg, 'tracer_attached: tracer strace');

    // An ended session of the same device is still its own.
    await ctxOf(ts).db.session.update({ where: { id: session.id }, data: { endedAt: new Date() } });
    const late = await send(
      laptop,
      report({
        type: 'route_leak_detected',
        reason: 'traffic_route_outside_tunnel',
        session_id: session.wire,
      }),
    );
    assert.equal(late.status, 202, late.text);
    assert.equal((await audit()).at(-1)!.action, 'client.route_leak_detected');
  });

  const gatewayName = async () =>
    (await ctxOf(ts).db.gateway.findUniqueOrThrow({ where: { id: ctxOf(ts).gateway.id } })).name;
  const PIN = Buffer.alloc(32, 9).toString('base64');
  const connectReports = (
    wire: string,
    at = new Date(Date.now() - 800).toISOString(),
  ): DeviceEventReport[] => [
    { type: 'spa_sent', session_id: wire, detected_at: at, gateway_address: '192.0.2.10', spa_port: 62201 },
    { type: 'tls_latency', session_id: wire, detected_at: at, latency_ms: 37 },
    { type: 'tunnel_latency', session_id: wire, detected_at: at, latency_ms: 1204 },
  ];

  it('records each connect report with its own fields, component client, and the session gateway', async () => {
    const session = await sessionOf(laptop);
    const ip = freshIp();
    const [spa, tlsLatency, tunnelLatency] = connectReports(session.wire);
    const common = (e: AuditEvent, action: string) => {
      assert.equal(e.action, action);
      assert.equal(e.component, 'client');
      assert.equal(e.device_id, laptop.deviceId);
      assert.equal(e.user_id, ctxOf(ts).audit.userPseudonym(alice.auditId));
      assert.equal(e.session_id, session.id);
      assert.equal(e.src_ip, ip);
    };

    assert.equal((await send(laptop, spa, ip)).status, 202);
    const knock = (await audit()).at(-1)!;
    common(knock, 'client.spa_sent');
    assert.equal(knock.result, 'success');
    assert.equal(knock.severity, 'info');
    assert.equal(knock.dst_ip, '192.0.2.10');
    assert.equal(knock.dst_port, 62201);
    assert.equal(
      knock.fwknop_id,
      toWireId('d', laptop.deviceId),
      "the device's SPA key id (fwknop username)",
    );
    assert.equal(knock.gateway, await gatewayName());
    assert.equal(knock.error_msg, null);
    assert.ok(knock.duration_ms !== null && knock.duration_ms >= 800 && knock.duration_ms < 60_000);

    assert.equal((await send(laptop, tlsLatency, ip)).status, 202);
    const tls = (await audit()).at(-1)!;
    common(tls, 'client.tls_latency');
    assert.deepEqual([tls.result, tls.severity, tls.duration_ms], ['success', 'info', 37]);
    assert.equal(tls.gateway, await gatewayName());

    assert.equal((await send(laptop, tunnelLatency, ip)).status, 202);
    const tunnel = (await audit()).at(-1)!;
    common(tunnel, 'client.tunnel_latency');
    assert.deepEqual([tunnel.result, tunnel.severity, tunnel.duration_ms], ['success', 'info', 1204]);
  });

  it('records a pin mismatch (the presented key, never more) and a hardening finding', async () => {
    const at = new Date(Date.now() - 100).toISOString();
    const gw: DeviceEventReport = {
      type: 'pin_mismatch',
      session_id: null,
      detected_at: at,
      endpoint: 'gateway',
      spki_sha256: PIN,
      address: '192.0.2.10',
    };
    assert.equal((await send(laptop, gw)).status, 202);
    const m = (await audit()).at(-1)!;
    assert.deepEqual(
      [m.action, m.component, m.result, m.severity, m.dst_ip, m.session_id],
      ['client.pin_mismatch', 'client', 'failure', 'error', '192.0.2.10', null],
    );
    assert.equal(m.error_msg, `gateway: presented spki sha256 ${PIN}`);
    assert.ok(!('gateway' in m), 'no session: no gateway name');
    const backend = { ...gw, endpoint: 'backend', spki_sha256: null, address: null };
    assert.equal((await send(laptop, backend)).status, 202);
    const b2 = (await audit()).at(-1)!;
    assert.equal(b2.error_msg, 'backend: certificate not trusted (no pin checked)');
    assert.equal(b2.dst_ip, null);

    const session = await sessionOf(laptop);
    const finding = {
      type: 'hardening_finding',
      session_id: session.wire,
      detected_at: at,
      reason: 'memory_not_locked',
    };
    assert.equal((await send(laptop, finding)).status, 202);
    const h = (await audit()).at(-1)!;
    assert.deepEqual(
      [h.action, h.component, h.result, h.severity, h.error_msg, h.session_id],
      ['client.hardening_finding', 'client', 'failure', 'warning', 'memory_not_locked', session.id],
    );
  });

  it('records a batch whole, every event with the one trace id, or nothing at all', async () => {
    const session = await sessionOf(laptop);
    const reports = connectReports(session.wire);
    const before = (await audit()).length;
    const reply = await send(laptop, { type: 'batch', events: reports });
    assert.equal(reply.status, 202, reply.text);
    const events = (await audit()).slice(before);
    assert.deepEqual(
      events.map((e) => e.action),
      ['client.spa_sent', 'client.tls_latency', 'client.tunnel_latency'],
    );
    for (const e of events) assert.equal(e.trace_id, reply.body.event_id);

    const bobs = await enrolledDesktop(ts, 'bob', PW);
    const theirs = await sessionOf(bobs);
    const [spa, tls] = reports as [DeviceEventReport, DeviceEventReport];
    const batch = (...events: unknown[]) => ({ type: 'batch', events });
    const bad: Array<[unknown, number, string, string]> = [
      [batch(spa, { ...tls, latency_ms: -1 }), 400, 'VIW_E_VALIDATION', 'body/events/1/latency_ms'],
      [batch(spa, { ...spa, gateway_address: '1.2.3' }), 400, 'VIW_E_VALIDATION', 'events/1/gateway_address'],
      [batch(spa, { ...tls, extra: 1 }), 400, 'VIW_E_UNKNOWN_FIELD', 'body/events/1'],
      [
        batch({ ...spa, detected_at: new Date(Date.now() - 8 * 86_400_000).toISOString() }, tls),
        400,
        'VIW_E_VALIDATION',
        'events/0/detected_at',
      ],
      [
        batch(spa, report({ reason: 'kill_switch_missing' })),
        400,
        'VIW_E_VALIDATION',
        'body/events/1/reason',
      ],
      [batch(spa, connectReports(theirs.wire)[0]), 404, 'VIW_E_NOT_FOUND', 'session_id'],
      [batch(...Array(17).fill(spa)), 400, 'VIW_E_VALIDATION', 'body/events'],
      [batch(), 400, 'VIW_E_VALIDATION', 'body/events'],
      [batch(batch(spa)), 400, 'VIW_E_UNKNOWN_FIELD', 'body/events/0'],
      [{ ...batch(spa), session_id: session.wire }, 400, 'VIW_E_UNKNOWN_FIELD', 'body/'],
    ];
    await auditsNothing(async () => {
      for (const [body, status, code, field] of bad) {
        const r = await send(laptop, body);
        assertError(r, status, code);
        const details = (r.body as { details?: string[] }).details ?? [];
        assert.ok(
          details.some((d) => d.startsWith(field)),
          `${field}: ${r.text}`,
        );
      }
    });
  });

  it("spends one of the device's allowance per report of a batch", async () => {
    const d = await enrolledDesktop(ts, 'alice', PW);
    const session = await sessionOf(d);
    const [spa] = connectReports(session.wire) as [DeviceEventReport];
    const batch = (n: number) => ({ type: 'batch', events: Array(n).fill(spa) });
    assert.equal((await send(d, batch(16))).status, 202);
    assert.equal((await send(d, batch(14))).status, 202, '30 reports in all: the limit');
    await auditsNothing(async () => assertError(await send(d, spa), 429, 'VIW_E_RATE_LIMITED'));
  });

  it('refuses a missing, foreign-key, altered or replayed signature and an unknown device', async () => {
    const ip = freshIp();
    await auditsNothing(async () => {
      assertError(
        await ts.call('/device/events', { json: report(), localAddress: ip }),
        401,
        'VIW_E_SIGNATURE_INVALID',
      );
      assertError(
        await send(laptop, report(), ip, generateSigningKeyPair().secretKey),
        401,
        'VIW_E_SIGNATURE_INVALID',
      );
      // Signed for one body, sent with another.
      const signedFor = JSON.stringify(report());
      const headers = signRequest(
        laptop.deviceId,
        laptop.keys.signing.secretKey,
        'POST',
        '/device/events',
        Buffer.from(signedFor),
      );
      const altered = signedFor.replace('192.0.2.53', '192.0.2.54');
      assertError(
        await ts.call('/device/events', {
          raw: altered,
          headers: { ...headers, 'content-type': 'application/json' },
          localAddress: ip,
        }),
        401,
        'VIW_E_SIGNATURE_INVALID',
      );
      // A key id that is no device (the login route's answer: nothing to tell apart).
      const stranger = { deviceId: randomUUID(), keys: await newDesktopKeys() };
      assertError(await send(stranger, report(), ip), 401, 'VIW_E_SIGNATURE_INVALID');
      // The enrollment key id (fingerprint) names no enrolled device here.
      const byFingerprint = { deviceId: laptop.keys.fingerprint, keys: laptop.keys };
      assertError(await send(byFingerprint, report(), ip), 401, 'VIW_E_SIGNATURE_INVALID');
    });
    // A replay of an accepted report is refused and audits nothing more.
    const raw = JSON.stringify(report());
    const signed = {
      ...signRequest(
        laptop.deviceId,
        laptop.keys.signing.secretKey,
        'POST',
        '/device/events',
        Buffer.from(raw),
      ),
      'content-type': 'application/json',
    };
    assert.equal((await ts.call('/device/events', { raw, headers: signed, localAddress: ip })).status, 202);
    await auditsNothing(async () => {
      const replayed = await ts.call('/device/events', { raw, headers: signed, localAddress: ip });
      assertError(replayed, 401, 'VIW_E_SIGNATURE_INVALID');
      assert.deepEqual((replayed.body as { details: string[] }).details, ['replayed request']);
    });
  });

  it('tells a pending or revoked device so, as login does, and records nothing', async () => {
    const keys = await newDesktopKeys();
    const enrolled = await signedCall<{ device_id: string; status: string }>(ts, '/device/enroll', {
      keyId: keys.fingerprint,
      secretKey: keys.signing.secretKey,
      json: enrollBody(keys, {
        username: 'bob',
        password: PW,
        enrollment_token: await createToken(ts, { autoApprove: false }),
      }),
      localAddress: freshIp(),
    });
    assert.equal(enrolled.body.status, 'pending_approval');
    const pending = { deviceId: enrolled.body.device_id, keys };
    await auditsNothing(async () => {
      assertError(await send(pending, report()), 403, 'VIW_E_DEVICE_PENDING');
      await ctxOf(ts).db.desktopDevice.update({
        where: { id: pending.deviceId },
        data: { status: 'revoked', revokedAt: new Date() },
      });
      assertError(await send(pending, report()), 403, 'VIW_E_DEVICE_REVOKED');
    });
  });

  it("refuses another device's session, even of the same user, exactly like an unknown one", async () => {
    const bobs = await enrolledDesktop(ts, 'bob', PW);
    const theirs = await sessionOf(bobs);
    const sameUserOtherDevice = await sessionOf(desktop);
    const unknown = toWireId('s', randomUUID());
    await auditsNothing(async () => {
      const replies = [];
      for (const session_id of [theirs.wire, sameUserOtherDevice.wire, unknown]) {
        const reply = await send(laptop, report({ session_id }));
        assertError(reply, 404, 'VIW_E_NOT_FOUND');
        replies.push(reply.body);
      }
      const shapes = replies.map((b) => JSON.stringify({ ...(b as object), trace_id: null }));
      assert.equal(new Set(shapes).size, 1, 'one answer for foreign and unknown sessions');
    });
  });

  it('refuses unknown fields, hostile or overlong details and implausible values', async () => {
    // [body, code, the field its details name]: the schema refuses (not the audit schema behind it).
    const bad: Array<[unknown, string, string]> = [
      [{ ...report(), extra: true }, 'VIW_E_UNKNOWN_FIELD', 'body/'],
      [{ ...report(), device_id: laptop.deviceId }, 'VIW_E_UNKNOWN_FIELD', 'body/'],
      [report({ detail: 'line one\nforged: line two' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'cr\rlf' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'bell\u0007 and esc\u001b[31m' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'tab\there' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'del\u007f' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'r\u00e9solveur' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'right-to-left \u202e' }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ detail: 'x'.repeat(201) }), 'VIW_E_VALIDATION', 'body/detail'],
      [report({ type: 'vpn_down' }), 'VIW_E_VALIDATION', 'body/'],
      [report({ type: 'pin_stale' }), 'VIW_E_VALIDATION', 'body/'],
      [report({ reason: 'kill_switch_missing' }), 'VIW_E_VALIDATION', 'body/reason'],
      [report({ type: 'debugger_attached' }), 'VIW_E_VALIDATION', 'body/reason'],
      [report({ reason: 'tracer_attached' }), 'VIW_E_VALIDATION', 'body/reason'],
      [report({ session_id: 'not-a-session' }), 'VIW_E_VALIDATION', 'body/session_id'],
      [report({ detected_at: 'yesterday' }), 'VIW_E_VALIDATION', 'body/detected_at'],
      [
        report({ detected_at: new Date(Date.now() + 10 * 60_000).toISOString() }),
        'VIW_E_VALIDATION',
        'detected_at',
      ],
      [
        report({ detected_at: new Date(Date.now() - 8 * 86_400_000).toISOString() }),
        'VIW_E_VALIDATION',
        'detected_at',
      ],
      [(({ detail: _d, ...rest }) => rest)(report() as { detail: string }), 'VIW_E_VALIDATION', 'body/'],
      // A field of another type.
      [report({ latency_ms: 5 }), 'VIW_E_UNKNOWN_FIELD', 'body/'],
      [
        report({ type: 'spa_sent', session_id: null, gateway_address: '192.0.2.1', spa_port: 1 }),
        'VIW_E_UNKNOWN_FIELD',
        'body/',
      ],
    ];
    await auditsNothing(async () => {
      for (const [body, code, field] of bad) {
        const reply = await send(laptop, body);
        assertError(reply, 400, code);
        const details = (reply.body as { details?: string[] }).details ?? [];
        assert.ok(
          details.some((d) => d.startsWith(field)),
          `${field}: ${reply.text}`,
        );
      }
    });
    assert.equal((await send(laptop, report({ detail: 'x'.repeat(200) }))).status, 202, '200 characters fit');
  });

  it('rate-limits each device, wherever it sends from, and each source address', async () => {
    const d = await enrolledDesktop(ts, 'alice', PW);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await send(d, report())).status);
    assert.deepEqual(new Set(statuses), new Set([202]));
    await auditsNothing(async () => assertError(await send(d, report()), 429, 'VIW_E_RATE_LIMITED'));
    assert.equal((await send(laptop, report())).status, 202, 'other devices are not held back');

    const ip = freshIp();
    const replies: HttpReply[] = [];
    for (let i = 0; i < 121; i++)
      replies.push(await ts.call('/device/events', { raw: '{', localAddress: ip }));
    assert.equal(replies[119]!.status, 400);
    assertError(replies[120]!, 429, 'VIW_E_RATE_LIMITED');
    assertError(await send(desktop, report(), ip), 429, 'VIW_E_RATE_LIMITED');
    assert.equal((await send(desktop, report())).status, 202, 'another address is not held back');
  });

  it('never logs a report detail', async () => {
    const marker = 'detail-marker-4f1c';
    assert.equal((await send(laptop, report({ detail: marker }))).status, 202);
    assert.ok(ts.logs().includes('/device/events'), 'logs were captured');
    assert.ok(!ts.logs().includes(marker), 'the detail is in the audit stream only');
  });
});
