// Security events reported by an enrolled desktop (POST /device/events, core/api/device-events.ts):
// each accepted report becomes ONE audit event `client.<type>` (component `daemon`, result
// `failure`: the device's own protection failed), with the device, its user's pseudonym, the
// session, the source address and `<reason>: <detail>` in error_msg. duration_ms is how long before
// the report the device detected it (its detected_at, clamped at 0). A refusal records nothing: the
// route has no identity to trust before the signature, and a refused report is no event.
import {
  type DeviceSecurityEvent,
  SECURITY_EVENT_MAX_AGE_MS,
  SECURITY_EVENT_REASONS_BY_TYPE,
  type SecurityEventType,
} from '../../../core/api/device-events.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { SIGNATURE_WINDOW_MS } from '../../../core/crypto/request-signing.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { DesktopDevice } from '../../data/client.js';

export type DeviceEventsCtx = Pick<AppContext, 'db' | 'audit' | 'now'>;

/**
 * Audit severity per reported type: a kill switch that is gone leaves every tunnel drop open; a
 * debugger on the privileged daemon can read every secret it holds.
 */
const SEVERITY: { readonly [T in SecurityEventType]: AuditEvent['severity'] } = {
  dns_leak_detected: 'warning',
  route_leak_detected: 'warning',
  kill_switch_failed: 'error',
  debugger_attached: 'error',
};

export interface ReportOrigin {
  readonly sourceIp: string;
  readonly traceId: string;
}

const invalid = (detail: string) => new ViworksError('VIW_E_VALIDATION', { details: [detail] });

/** The detection time as milliseconds, if it is plausible (device clocks are within the signature window). */
function detectedAtMs(text: string, now: number): number {
  const at = Date.parse(text);
  if (!Number.isFinite(at)) throw invalid('detected_at: not a time');
  if (at > now + SIGNATURE_WINDOW_MS) throw invalid('detected_at: in the future');
  if (at < now - SECURITY_EVENT_MAX_AGE_MS) throw invalid('detected_at: too old to report');
  return at;
}

/** The session's database id, if the wire id names a session of this device (else VIW_E_NOT_FOUND). */
async function ownSessionId(ctx: DeviceEventsCtx, device: DesktopDevice, wire: string | null) {
  if (wire === null) return null;
  const id = fromWireId('s', wire);
  const session = id
    ? await ctx.db.session.findUnique({ where: { id }, select: { id: true, deviceId: true, userId: true } })
    : null;
  if (!session || session.deviceId !== device.id || session.userId !== device.userId) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['session_id: no such session for this device'] });
  }
  return session.id;
}

/**
 * Records one reported event of `device` (signature verified, device active — the route's part).
 * Returns the event's id: the audit event's trace id.
 */
export async function recordSecurityEvent(
  ctx: DeviceEventsCtx,
  device: DesktopDevice,
  report: DeviceSecurityEvent,
  origin: ReportOrigin,
): Promise<{ readonly eventId: string }> {
  if (!SECURITY_EVENT_REASONS_BY_TYPE[report.type].includes(report.reason)) {
    throw invalid(`reason: not a reason of type ${report.type}`);
  }
  const now = ctx.now().getTime();
  const detectedAt = detectedAtMs(report.detected_at, now);
  const sessionId = await ownSessionId(ctx, device, report.session_id);
  const user = await ctx.db.user.findUnique({ where: { id: device.userId }, select: { auditId: true } });
  await ctx.audit.record({
    component: 'daemon',
    action: `client.${report.type}`,
    result: 'failure',
    severity: SEVERITY[report.type],
    userAuditId: user?.auditId ?? null,
    device_id: device.id,
    session_id: sessionId,
    src_ip: origin.sourceIp,
    trace_id: origin.traceId,
    duration_ms: Math.max(0, now - detectedAt),
    error_msg: report.detail ? `${report.reason}: ${report.detail}` : report.reason,
  });
  return { eventId: origin.traceId };
}
