// What each reported type says in its audit event (core/api/device-events.ts → core/audit/event.ts).
// Every event: component `client`, action `client.<type>`, the gateway's name when the report names
// a session. Per type:
//   leak types        failure  warning|error  error_msg `<reason>: <detail>`
//   spa_sent          success  info           dst_ip/dst_port = the gateway knocked, fwknop_id = the
//                                             device's SPA key id (its fwknop username, `d-…`)
//   pin_mismatch      failure  error          dst_ip = who presented it, error_msg = the endpoint and
//                                             the presented SPKI sha256 (never the certificate)
//   hardening_finding failure  warning        error_msg = the finding
//   tls_latency, tunnel_latency  success info  duration_ms = the latency
// duration_ms of every other type: how long before the report the device saw it (clamped at 0).
import { isIP } from 'node:net';
import {
  type DeviceEventReport,
  type DeviceEventReportOf,
  LEAK_EVENT_TYPES,
  type SecurityEventType,
} from '../../../core/api/device-events.js';
import type { AuditEvent, AuditFacts } from '../../../core/audit/event.js';
import type { DesktopDevice } from '../../data/client.js';
import { spaUsername } from './spa-keys.js';

/** A report that passed every check (device-events.ts), with what the checks found out. */
export interface CheckedReport {
  readonly report: DeviceEventReport;
  readonly detectedAt: number;
  readonly session: { readonly id: string; readonly gateway: string } | null;
}

/**
 * Audit severity per reported type: a kill switch that is gone leaves every tunnel drop open; a
 * debugger on the privileged daemon can read every secret it holds; a pinned key that does not match
 * is someone in the middle, or a client two pin rolls behind.
 */
export const SEVERITY: { readonly [T in SecurityEventType]: AuditEvent['severity'] } = {
  dns_leak_detected: 'warning',
  route_leak_detected: 'warning',
  kill_switch_failed: 'error',
  debugger_attached: 'error',
  spa_sent: 'info',
  pin_mismatch: 'error',
  hardening_finding: 'warning',
  tls_latency: 'info',
  tunnel_latency: 'info',
};

type LeakReport = DeviceEventReportOf<(typeof LEAK_EVENT_TYPES)[number]>;

export function isLeakReport(report: DeviceEventReport): report is LeakReport {
  return (LEAK_EVENT_TYPES as readonly string[]).includes(report.type);
}

/** The report's IP address fields, each with whether it is one (the schema's pattern is loose). */
export function addressesOf(report: DeviceEventReport): Array<[string, { ok: boolean }]> {
  const check = (field: string, value: string | null): Array<[string, { ok: boolean }]> =>
    value === null ? [] : [[field, { ok: isIP(value) !== 0 }]];
  if (report.type === 'spa_sent') return check('gateway_address', report.gateway_address);
  if (report.type === 'pin_mismatch') return check('address', report.address);
  return [];
}

type Facts = Omit<AuditFacts, 'userAuditId' | 'device_id' | 'session_id' | 'src_ip' | 'trace_id'>;

/** The type's own part of the audit event. */
export function factsOf(c: CheckedReport, device: DesktopDevice, now: number): Facts {
  const r = c.report;
  const base = {
    component: 'client' as const,
    action: `client.${r.type}`,
    severity: SEVERITY[r.type],
    ...(c.session ? { gateway: c.session.gateway } : {}),
  };
  const delay = Math.max(0, now - c.detectedAt);
  if (isLeakReport(r)) {
    return {
      ...base,
      result: 'failure',
      duration_ms: delay,
      error_msg: r.detail ? `${r.reason}: ${r.detail}` : r.reason,
    };
  }
  switch (r.type) {
    case 'spa_sent':
      return {
        ...base,
        result: 'success',
        duration_ms: delay,
        dst_ip: r.gateway_address,
        dst_port: r.spa_port,
        fwknop_id: spaUsername(device.id),
      };
    case 'pin_mismatch':
      return {
        ...base,
        result: 'failure',
        duration_ms: delay,
        dst_ip: r.address,
        error_msg: pinMismatchText(r),
      };
    case 'hardening_finding':
      return { ...base, result: 'failure', duration_ms: delay, error_msg: r.reason };
    case 'tls_latency':
    case 'tunnel_latency':
      return { ...base, result: 'success', duration_ms: r.latency_ms };
  }
}

function pinMismatchText(r: DeviceEventReportOf<'pin_mismatch'>): string {
  return r.spki_sha256 === null
    ? `${r.endpoint}: certificate not trusted (no pin checked)`
    : `${r.endpoint}: presented spki sha256 ${r.spki_sha256}`;
}
