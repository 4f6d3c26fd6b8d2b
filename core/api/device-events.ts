// A security event the desktop saw go wrong with its own protection (POST /device/events): a DNS
// or route leak, a missing kill switch, a debugger attached to the daemon. Signed by the ENROLLED
// device's key (key id = device_id, as for POST /auth/login), so the backend knows which device
// says it; the backend records it as one audit event (`client.<type>`, component `daemon`) for the
// SIEM's detection rules.
//
//   POST /device/events  DeviceSecurityEvent → 202 DeviceSecurityEventAccepted
//
// `reason` must be one of the reasons of its `type` (SECURITY_EVENT_REASONS_BY_TYPE); `detail` is
// a short free text in printable ASCII only, so it cannot forge or split a log or audit line.
// `detected_at` is the device's clock: not later than the signature window ahead of the backend's,
// not older than SECURITY_EVENT_MAX_AGE_MS (a report queued while offline is still accepted).
import { type Static, Type } from 'typebox';
import { WireSessionId } from './client.js';
import { closed, IsoTime, Uuid } from './common.js';

export const SECURITY_EVENT_TYPES = [
  'dns_leak_detected',
  'route_leak_detected',
  'kill_switch_failed',
  'debugger_attached',
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

/** Which reasons go with which type (anything else is 400 VIW_E_VALIDATION). */
export const SECURITY_EVENT_REASONS_BY_TYPE: {
  readonly [T in SecurityEventType]: readonly SecurityEventReason[];
} = {
  dns_leak_detected: ['resolver_changed', 'dns_route_outside_tunnel'],
  route_leak_detected: ['traffic_route_outside_tunnel'],
  kill_switch_failed: ['kill_switch_missing'],
  debugger_attached: ['tracer_attached'],
};

/** The event type a reason is reported under. */
export function securityEventTypeOf(reason: SecurityEventReason): SecurityEventType {
  const types = Object.keys(SECURITY_EVENT_REASONS_BY_TYPE) as SecurityEventType[];
  return types.find((t) => SECURITY_EVENT_REASONS_BY_TYPE[t].includes(reason)) ?? 'route_leak_detected';
}

export const SECURITY_EVENT_DETAIL_MAX = 200;
/** The oldest `detected_at` the backend still records. */
export const SECURITY_EVENT_MAX_AGE_MS = 7 * 24 * 3600_000;

export const DeviceSecurityEventSchema = Type.Object(
  {
    type: Type.Enum(SECURITY_EVENT_TYPES),
    /** The wire id (`s-…`) of this device's session it happened in, or null outside a session. */
    session_id: Type.Union([WireSessionId, Type.Null()]),
    detected_at: IsoTime,
    reason: Type.Enum(SECURITY_EVENT_REASONS),
    /** What the daemon saw, e.g. "resolver 192.0.2.53 on eth0": printable ASCII, no line breaks. */
    detail: Type.String({ maxLength: SECURITY_EVENT_DETAIL_MAX, pattern: '^[\\x20-\\x7E]*$' }),
  },
  closed,
);
export type DeviceSecurityEvent = Static<typeof DeviceSecurityEventSchema>;

/** 202: recorded in the audit stream; `event_id` is that audit event's `trace_id`. */
export const DeviceSecurityEventAcceptedSchema = Type.Object(
  { accepted: Type.Literal(true), event_id: Uuid },
  closed,
);
export type DeviceSecurityEventAccepted = Static<typeof DeviceSecurityEventAcceptedSchema>;
