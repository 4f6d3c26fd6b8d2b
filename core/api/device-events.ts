// What an enrolled desktop reports about itself (POST /device/events): its protection failing (a
// DNS or route leak, a missing kill switch, a debugger on the daemon, a hardening finding, a pinned
// key that did not match) and the facts of each connect (the SPA knock, how long TLS and the tunnel
// took). Signed by the ENROLLED device's key (key id = device_id, as for POST /auth/login), so the
// backend knows which device says it; each report becomes one audit event `client.<type>`,
// component `client`, for the SIEM's detection rules (docs/detections.md).
//
//   POST /device/events  DeviceSecurityEvent → 202 DeviceSecurityEventAccepted
//
// The body is one report, or a batch of 1–16 (`{type: 'batch', events: [...]}`: one connect makes
// several reports; a daemon that was offline sends what it queued). Each `type` has its own closed
// shape (a field of another type is refused, 400): the leak/tracer types keep their v1 shape
// (`reason` one of that type's reasons, `detail` printable ASCII); the others carry only typed,
// bounded fields — never free text, never a certificate or a secret.
// `detected_at` is the device's clock: not later than the signature window ahead of the backend's,
// not older than SECURITY_EVENT_MAX_AGE_MS (a report queued while offline is still accepted).
//
// `client.pin_stale` is the backend's own finding (the pins a login carries, auth.ts), not a report.
import { type Static, type TObject, Type } from 'typebox';
import { taggedUnion } from '../schema/strict.js';
import { WireSessionId } from './client.js';
import { closed, IsoTime, Pin, Uuid } from './common.js';

/** The v1 types: a protection of the desktop failed (result `failure`), with a reason and a detail. */
export const LEAK_EVENT_TYPES = [
  'dns_leak_detected',
  'route_leak_detected',
  'kill_switch_failed',
  'debugger_attached',
] as const;

export const SECURITY_EVENT_TYPES = [
  ...LEAK_EVENT_TYPES,
  /** A knock went out (one per knock, retries included). */
  'spa_sent',
  /** A pinned TLS peer (gateway or backend) presented a key that matches neither pin. */
  'pin_mismatch',
  /** The daemon's process hardening is not all there (one per distinct finding per session). */
  'hardening_finding',
  /** SPA sent → TLS to the gateway established (per tunnel: the first and each restart). */
  'tls_latency',
  /** TLS established → OpenVPN up (per tunnel). */
  'tunnel_latency',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** What the leak checks can find (daemon/engine/leak-check.ts; Status.network.leak_check.leak). */
export const LEAK_EVENT_REASONS = [
  'resolver_changed',
  'dns_route_outside_tunnel',
  'traffic_route_outside_tunnel',
  'kill_switch_missing',
] as const;
export type LeakEventReason = (typeof LEAK_EVENT_REASONS)[number];

export const SECURITY_EVENT_REASONS = [
  ...LEAK_EVENT_REASONS,
  /** A tracer (TracerPid in /proc/self/status) on viworksd mid-run: the session ended, the daemon exited. */
  'tracer_attached',
] as const;
export type SecurityEventReason = (typeof SECURITY_EVENT_REASONS)[number];

type LeakEventType = (typeof LEAK_EVENT_TYPES)[number];

/** Which reasons go with which v1 type (anything else is 400 VIW_E_VALIDATION). */
export const SECURITY_EVENT_REASONS_BY_TYPE: {
  readonly [T in LeakEventType]: readonly SecurityEventReason[];
} = {
  dns_leak_detected: ['resolver_changed', 'dns_route_outside_tunnel'],
  route_leak_detected: ['traffic_route_outside_tunnel'],
  kill_switch_failed: ['kill_switch_missing'],
  debugger_attached: ['tracer_attached'],
};

/** The event type a reason is reported under. */
export function securityEventTypeOf(reason: SecurityEventReason): LeakEventType {
  const types = Object.keys(SECURITY_EVENT_REASONS_BY_TYPE) as LeakEventType[];
  return types.find((t) => SECURITY_EVENT_REASONS_BY_TYPE[t].includes(reason)) ?? 'route_leak_detected';
}

/**
 * What the process hardening can find (core/api/posture.ts, daemon/hardening/): the daemon is
 * dumpable, its core limit is not 0, no_new_privs is unset, or the pages of secrets are not locked
 * (posture.mlock neither `locked` nor `secrets`). A tracer is its own type (debugger_attached).
 */
export const HARDENING_FINDINGS = [
  'dumpable',
  'core_limit_nonzero',
  'no_new_privs_unset',
  'memory_not_locked',
] as const;
export type HardeningFinding = (typeof HARDENING_FINDINGS)[number];

/** Which pinned peer presented the wrong key. */
export const PIN_ENDPOINTS = ['gateway', 'backend'] as const;
export type PinEndpoint = (typeof PIN_ENDPOINTS)[number];

export const SECURITY_EVENT_DETAIL_MAX = 200;
/** The oldest `detected_at` the backend still records. */
export const SECURITY_EVENT_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Reports in one batch. */
export const SECURITY_EVENT_BATCH_MAX = 16;
/** The largest latency reported: longer than any connect step may take (the daemon's own timeouts). */
export const SECURITY_EVENT_LATENCY_MAX_MS = 10 * 60_000;

/** An IPv4 or IPv6 address (the backend also checks it with net.isIP). */
const IpAddress = Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
/** The wire id (`s-…`) of this device's session it happened in. */
const SessionOrNull = Type.Union([WireSessionId, Type.Null()]);
/** What the daemon saw, e.g. "resolver 192.0.2.53 on eth0": printable ASCII, no line breaks. */
const Detail = Type.String({ maxLength: SECURITY_EVENT_DETAIL_MAX, pattern: '^[\\x20-\\x7E]*$' });
const LatencyMs = Type.Integer({ minimum: 0, maximum: SECURITY_EVENT_LATENCY_MAX_MS });

function leakReport<T extends LeakEventType>(type: T) {
  return Type.Object(
    {
      type: Type.Literal(type),
      session_id: SessionOrNull,
      detected_at: IsoTime,
      reason: Type.Enum(SECURITY_EVENT_REASONS_BY_TYPE[type]),
      detail: Detail,
    },
    closed,
  );
}

export const SpaSentReportSchema = Type.Object(
  {
    type: Type.Literal('spa_sent'),
    session_id: WireSessionId,
    detected_at: IsoTime,
    /** The gateway address knocked (audit dst_ip) and its SPA port (dst_port). */
    gateway_address: IpAddress,
    spa_port: Port,
  },
  closed,
);

export const PinMismatchReportSchema = Type.Object(
  {
    type: Type.Literal('pin_mismatch'),
    session_id: SessionOrNull,
    detected_at: IsoTime,
    endpoint: Type.Enum(PIN_ENDPOINTS),
    /** SHA-256 of the presented SubjectPublicKeyInfo (base64); null when the chain already failed. */
    spki_sha256: Type.Union([Pin, Type.Null()]),
    /** The address that presented it, when the daemon knows it (the gateway's). */
    address: Type.Union([IpAddress, Type.Null()]),
  },
  closed,
);

export const HardeningFindingReportSchema = Type.Object(
  {
    type: Type.Literal('hardening_finding'),
    session_id: SessionOrNull,
    detected_at: IsoTime,
    reason: Type.Enum(HARDENING_FINDINGS),
  },
  closed,
);

function latencyReport<T extends 'tls_latency' | 'tunnel_latency'>(type: T) {
  return Type.Object(
    { type: Type.Literal(type), session_id: WireSessionId, detected_at: IsoTime, latency_ms: LatencyMs },
    closed,
  );
}

const REPORTS = [
  leakReport('dns_leak_detected'),
  leakReport('route_leak_detected'),
  leakReport('kill_switch_failed'),
  leakReport('debugger_attached'),
  SpaSentReportSchema,
  PinMismatchReportSchema,
  HardeningFindingReportSchema,
  latencyReport('tls_latency'),
  latencyReport('tunnel_latency'),
] satisfies TObject[];

/**
 * A tagged union (core/schema/strict.ts) closed at the top as well: a field of no branch is refused
 * before any branch is tried, and the document says the body is closed (server/openapi.test.ts).
 * Each branch stays closed, so a field of another type is still refused.
 */
function closedTaggedUnion<T extends TObject[]>(branches: [...T]) {
  const names = [...new Set(branches.flatMap((b) => Object.keys(b.properties)))];
  return Type.Unsafe<Static<T[number]>>({
    ...taggedUnion('type', branches),
    properties: Object.fromEntries(names.map((n) => [n, {}])),
    additionalProperties: false,
  });
}

/** One report: its own closed shape per `type`. */
export const DeviceEventReportSchema = closedTaggedUnion(REPORTS);
export type DeviceEventReport = Static<typeof DeviceEventReportSchema>;
/** A report of one type. */
export type DeviceEventReportOf<T extends SecurityEventType> = Extract<DeviceEventReport, { type: T }>;

export const DeviceEventBatchSchema = Type.Object(
  {
    type: Type.Literal('batch'),
    events: Type.Array(DeviceEventReportSchema, { minItems: 1, maxItems: SECURITY_EVENT_BATCH_MAX }),
  },
  closed,
);
export type DeviceEventBatch = Static<typeof DeviceEventBatchSchema>;

/** The body of POST /device/events: one report or a batch (all recorded, or none). */
export const DeviceSecurityEventSchema = closedTaggedUnion([...REPORTS, DeviceEventBatchSchema]);
export type DeviceSecurityEvent = Static<typeof DeviceSecurityEventSchema>;

/** The reports of a body, in order. */
export function reportsOf(body: DeviceSecurityEvent): readonly DeviceEventReport[] {
  return body.type === 'batch' ? body.events : [body];
}

/**
 * 202: recorded in the audit stream; `event_id` is the audit event's `trace_id` (for a batch, every
 * event of it carries that one trace id).
 */
export const DeviceSecurityEventAcceptedSchema = Type.Object(
  { accepted: Type.Literal(true), event_id: Uuid },
  closed,
);
export type DeviceSecurityEventAccepted = Static<typeof DeviceSecurityEventAcceptedSchema>;
