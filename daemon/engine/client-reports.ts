// The reports the connect sequence makes (core/api/device-events.ts), built from what the engine
// knows: the knock's target, the tunnel's three moments (knock sent, TLS established, OpenVPN up),
// the presented key of a pin mismatch, and the process hardening's findings. Sent through the
// ClientEventReporter (client-events.ts): queued, best effort.
import { isIP } from 'node:net';
import {
  type DeviceEventReport,
  type DeviceEventReportOf,
  type HardeningFinding,
  type LeakEventReason,
  type PinEndpoint,
  SECURITY_EVENT_LATENCY_MAX_MS,
  securityEventTypeOf,
} from '../../core/api/device-events.js';
import type { ProcessPosture } from '../../core/api/posture.js';
import { isWellFormedPin } from '../../core/crypto/pins.js';

const now = () => new Date().toISOString();

/** A leak the leak checks found (leak-check.ts), under the type its reason belongs to. */
export function leakReport(
  sessionId: string | null,
  reason: LeakEventReason,
  detail: string,
): DeviceEventReport {
  // The type is the reason's own (SECURITY_EVENT_REASONS_BY_TYPE), which the types cannot tie.
  return {
    type: securityEventTypeOf(reason),
    session_id: sessionId,
    detected_at: now(),
    reason,
    detail,
  } as DeviceEventReport;
}

/** One knock to `gatewayAddress`:`spaPort`; null when the address is not an IP literal (not resolved). */
export function spaSentReport(
  sessionId: string,
  gatewayAddress: string,
  spaPort: number,
): DeviceEventReportOf<'spa_sent'> | null {
  if (isIP(gatewayAddress) === 0) return null;
  return {
    type: 'spa_sent',
    session_id: sessionId,
    detected_at: now(),
    gateway_address: gatewayAddress,
    spa_port: spaPort,
  };
}

/** The three moments of one tunnel, on the monotonic clock (performance.now()). */
export interface TunnelMoments {
  /** The knock that opened the door went out. */
  readonly spaSentAt: number;
  /** The pinned TLS connection to the gateway was established. */
  readonly tlsAt: number;
  /** OpenVPN reported the tunnel up. */
  readonly upAt: number;
}

const latency = (ms: number) => Math.min(SECURITY_EVENT_LATENCY_MAX_MS, Math.max(0, Math.round(ms)));

/** SPA sent → TLS established, and TLS established → OpenVPN up. */
export function latencyReports(
  sessionId: string,
  m: TunnelMoments,
): [DeviceEventReportOf<'tls_latency'>, DeviceEventReportOf<'tunnel_latency'>] {
  const at = now();
  return [
    {
      type: 'tls_latency',
      session_id: sessionId,
      detected_at: at,
      latency_ms: latency(m.tlsAt - m.spaSentAt),
    },
    { type: 'tunnel_latency', session_id: sessionId, detected_at: at, latency_ms: latency(m.upAt - m.tlsAt) },
  ];
}

/** The presented key's pin a VIW_E_PIN_MISMATCH carries (`presentedPin`), if it is a well-formed one. */
export function presentedPinOf(err: unknown): string | null {
  const pin = (err as { presentedPin?: unknown } | null)?.presentedPin;
  return typeof pin === 'string' && isWellFormedPin(pin) ? pin : null;
}

export function pinMismatchReport(
  sessionId: string | null,
  endpoint: PinEndpoint,
  presentedPin: string | null,
  address: string | null,
): DeviceEventReportOf<'pin_mismatch'> {
  return {
    type: 'pin_mismatch',
    session_id: sessionId,
    detected_at: now(),
    endpoint,
    spki_sha256: presentedPin,
    address: address !== null && isIP(address) !== 0 ? address : null,
  };
}

/** What the hardening did not achieve (core/api/posture.ts); a tracer is reported on its own. */
export function hardeningFindings(p: ProcessPosture): HardeningFinding[] {
  const found: HardeningFinding[] = [];
  if (p.dumpable) found.push('dumpable');
  if (!p.core_limit_zero) found.push('core_limit_nonzero');
  if (!p.no_new_privs) found.push('no_new_privs_unset');
  if (p.mlock !== 'locked' && p.mlock !== 'secrets') found.push('memory_not_locked');
  return found;
}

export function hardeningReports(
  sessionId: string,
  p: ProcessPosture,
): Array<DeviceEventReportOf<'hardening_finding'>> {
  const at = now();
  return hardeningFindings(p).map((reason) => ({
    type: 'hardening_finding',
    session_id: sessionId,
    detected_at: at,
    reason,
  }));
}
