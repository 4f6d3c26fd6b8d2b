// The device-events contract: every report type valid in its own shape and refused with a field of
// another type, unknown fields, out-of-bounds values and hostile text; the batch's bounds; the
// login's backend_pins bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strictValidator } from '../schema/strict.js';
import { LoginRequestSchema } from './auth.js';
import {
  type DeviceEventReport,
  DeviceEventReportSchema,
  DeviceSecurityEventSchema,
  HARDENING_FINDINGS,
  reportsOf,
  SECURITY_EVENT_BATCH_MAX,
  SECURITY_EVENT_LATENCY_MAX_MS,
  SECURITY_EVENT_REASONS_BY_TYPE,
  SECURITY_EVENT_TYPES,
  securityEventTypeOf,
} from './device-events.js';

const body = strictValidator(DeviceSecurityEventSchema);
const one = strictValidator(DeviceEventReportSchema);
const SID = `s-${'0'.repeat(32)}`;
const AT = '2026-12-04T10:00:00.000Z';
const PIN = Buffer.alloc(32, 7).toString('base64');

/** A valid report of every type. */
const VALID: { readonly [T in (typeof SECURITY_EVENT_TYPES)[number]]: DeviceEventReport } = {
  dns_leak_detected: {
    type: 'dns_leak_detected',
    session_id: SID,
    detected_at: AT,
    reason: 'resolver_changed',
    detail: 'resolver 192.0.2.53 on eth0',
  },
  route_leak_detected: {
    type: 'route_leak_detected',
    session_id: null,
    detected_at: AT,
    reason: 'traffic_route_outside_tunnel',
    detail: '',
  },
  kill_switch_failed: {
    type: 'kill_switch_failed',
    session_id: null,
    detected_at: AT,
    reason: 'kill_switch_missing',
    detail: '',
  },
  debugger_attached: {
    type: 'debugger_attached',
    session_id: SID,
    detected_at: AT,
    reason: 'tracer_attached',
    detail: 'tracer gdb',
  },
  spa_sent: {
    type: 'spa_sent',
    session_id: SID,
    detected_at: AT,
    gateway_address: '192.0.2.10',
    spa_port: 62201,
  },
  pin_mismatch: {
    type: 'pin_mismatch',
    session_id: null,
    detected_at: AT,
    endpoint: 'gateway',
    spki_sha256: PIN,
    address: '2001:db8::1',
  },
  hardening_finding: { type: 'hardening_finding', session_id: SID, detected_at: AT, reason: 'dumpable' },
  tls_latency: { type: 'tls_latency', session_id: SID, detected_at: AT, latency_ms: 42 },
  tunnel_latency: { type: 'tunnel_latency', session_id: SID, detected_at: AT, latency_ms: 0 },
};

const with_ = (r: DeviceEventReport, over: Record<string, unknown>) => ({ ...r, ...over });

describe('POST /device/events contract', () => {
  it('accepts every type in its own shape, alone and in a batch', () => {
    for (const type of SECURITY_EVENT_TYPES) {
      assert.ok(one.check(VALID[type]), type);
      assert.ok(body.check(VALID[type]), type);
    }
    const all = { type: 'batch', events: Object.values(VALID) };
    assert.ok(body.check(all));
    assert.deepEqual(reportsOf(all as never), Object.values(VALID));
    assert.deepEqual(reportsOf(VALID.spa_sent as never), [VALID.spa_sent]);
    for (const f of HARDENING_FINDINGS)
      assert.ok(one.check(with_(VALID.hardening_finding, { reason: f })), f);
    assert.ok(
      one.check(with_(VALID.pin_mismatch, { spki_sha256: null, address: null, endpoint: 'backend' })),
    );
  });

  it('refuses a field of another type, a missing one and an unknown one', () => {
    const foreign: Array<[DeviceEventReport, Record<string, unknown>]> = [
      [VALID.spa_sent, { latency_ms: 1 }],
      [VALID.spa_sent, { detail: 'x' }],
      [VALID.tls_latency, { gateway_address: '192.0.2.1' }],
      [VALID.tunnel_latency, { reason: 'dumpable' }],
      [VALID.hardening_finding, { detail: 'x' }],
      [VALID.pin_mismatch, { reason: 'tracer_attached' }],
      [VALID.dns_leak_detected, { latency_ms: 3 }],
      [VALID.dns_leak_detected, { endpoint: 'gateway' }],
      [VALID.kill_switch_failed, { extra: true }],
      [VALID.debugger_attached, { device_id: 'x' }],
    ];
    for (const [r, extra] of foreign) {
      assert.ok(!body.check(with_(r, extra)), `${r.type} + ${Object.keys(extra)}`);
    }
    for (const type of SECURITY_EVENT_TYPES) {
      for (const key of Object.keys(VALID[type])) {
        const { [key]: _gone, ...rest } = VALID[type] as unknown as Record<string, unknown>;
        assert.ok(!body.check(rest), `${type} without ${key}`);
      }
    }
    assert.ok(!body.check(with_(VALID.spa_sent, { type: 'pin_stale' })), 'pin_stale is no report');
    assert.ok(!body.check(with_(VALID.spa_sent, { type: 'vpn_down' })));
  });

  it('bounds every field', () => {
    const bad: Array<[DeviceEventReport, Record<string, unknown>]> = [
      // Reasons belong to their type.
      [VALID.dns_leak_detected, { reason: 'kill_switch_missing' }],
      [VALID.debugger_attached, { reason: 'resolver_changed' }],
      [VALID.hardening_finding, { reason: 'tracer_attached' }],
      [VALID.hardening_finding, { reason: 'tracer' }],
      // Hostile or overlong text.
      [VALID.dns_leak_detected, { detail: 'line\nforged' }],
      [VALID.dns_leak_detected, { detail: 'x'.repeat(201) }],
      [VALID.dns_leak_detected, { detail: 'r\u00e9solveur' }],
      // Sessions: a wire id; spa_sent and latencies always have one.
      [VALID.spa_sent, { session_id: null }],
      [VALID.tls_latency, { session_id: null }],
      [VALID.tunnel_latency, { session_id: 'not-a-session' }],
      [VALID.hardening_finding, { session_id: `d-${'0'.repeat(32)}` }],
      // Times and numbers.
      [VALID.spa_sent, { detected_at: 'yesterday' }],
      [VALID.tls_latency, { latency_ms: -1 }],
      [VALID.tls_latency, { latency_ms: 1.5 }],
      [VALID.tls_latency, { latency_ms: SECURITY_EVENT_LATENCY_MAX_MS + 1 }],
      [VALID.tunnel_latency, { latency_ms: '12' }],
      [VALID.spa_sent, { spa_port: 0 }],
      [VALID.spa_sent, { spa_port: 65536 }],
      // Addresses and pins.
      [VALID.spa_sent, { gateway_address: 'gw.example.test' }],
      [VALID.spa_sent, { gateway_address: '1' }],
      [VALID.spa_sent, { gateway_address: `${'1'.repeat(46)}` }],
      [VALID.pin_mismatch, { address: 'evil host' }],
      [VALID.pin_mismatch, { endpoint: 'phone' }],
      [VALID.pin_mismatch, { spki_sha256: PIN.slice(1) }],
      [VALID.pin_mismatch, { spki_sha256: `${PIN.slice(0, 43)}?` }],
      [VALID.pin_mismatch, { spki_sha256: '-----BEGIN CERTIFICATE-----' }],
    ];
    for (const [r, over] of bad) assert.ok(!body.check(with_(r, over)), `${r.type} ${JSON.stringify(over)}`);
    assert.ok(body.check(with_(VALID.tls_latency, { latency_ms: SECURITY_EVENT_LATENCY_MAX_MS })));
    assert.ok(body.check(with_(VALID.spa_sent, { spa_port: 65535 })));
    assert.ok(body.check(with_(VALID.dns_leak_detected, { detail: 'x'.repeat(200) })));
  });

  it('bounds a batch: 1 to 16 valid reports, no nesting, nothing else', () => {
    const batch = (events: unknown[]) => ({ type: 'batch', events });
    assert.ok(body.check(batch(Array(SECURITY_EVENT_BATCH_MAX).fill(VALID.spa_sent))));
    assert.ok(!body.check(batch(Array(SECURITY_EVENT_BATCH_MAX + 1).fill(VALID.spa_sent))));
    assert.ok(!body.check(batch([])));
    assert.ok(!body.check(batch([VALID.spa_sent, with_(VALID.tls_latency, { extra: 1 })])));
    assert.ok(!body.check(batch([batch([VALID.spa_sent])])), 'no batch in a batch');
    assert.ok(!body.check({ ...batch([VALID.spa_sent]), session_id: SID }));
    assert.ok(!body.check({ type: 'batch' }));
  });

  it('keeps the v1 reason mapping', () => {
    for (const [type, reasons] of Object.entries(SECURITY_EVENT_REASONS_BY_TYPE)) {
      for (const reason of reasons) assert.equal(securityEventTypeOf(reason), type);
    }
  });

  it("bounds the login's backend_pins: 1 to 4 well-formed pins", () => {
    const login = strictValidator(LoginRequestSchema);
    const ok = {
      username: 'u1',
      password: 'p',
      device_id: '01a20720-4121-72e5-bb56-9b56fad112b9',
      device_nonce: 'n'.repeat(16),
    };
    assert.ok(login.check(ok), 'optional');
    assert.ok(login.check({ ...ok, backend_pins: [PIN] }));
    assert.ok(login.check({ ...ok, backend_pins: [PIN, PIN, PIN, PIN] }));
    assert.ok(!login.check({ ...ok, backend_pins: [PIN, PIN, PIN, PIN, PIN] }));
    assert.ok(!login.check({ ...ok, backend_pins: [] }));
    assert.ok(!login.check({ ...ok, backend_pins: ['not a pin'] }));
    assert.ok(!login.check({ ...ok, backend_pins: PIN }));
  });
});
