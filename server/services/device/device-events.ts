// Reports of an enrolled desktop (POST /device/events, core/api/device-events.ts): each accepted
// report becomes ONE audit event `client.<type>`, component `client`, with the device, its user's
// pseudonym, the session (and its gateway's name), the source address and the type's own fields
// (device-event-facts.ts). A batch is checked whole before anything is recorded: one bad report
// refuses the batch and records nothing. A refusal records nothing either: the route has no
// identity to trust before the signature, and a refused report is no event.
import {
  type DeviceEventReport,
  SECURITY_EVENT_MAX_AGE_MS,
  SECURITY_EVENT_REASONS_BY_TYPE,
} from '../../../core/api/device-events.js';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { SIGNATURE_WINDOW_MS } from '../../../core/crypto/request-signing.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { DesktopDevice } from '../../data/client.js';
import { addressesOf, type CheckedReport, factsOf, isLeakReport } from './device-event-facts.js';

export type DeviceEventsCtx = Pick<AppContext, 'db' | 'audit' | 'now'>;

export interface ReportOrigin {
  readonly sourceIp: string;
  readonly traceId: string;
}

const invalid = (detail: string) => new ViworksError('VIW_E_VALIDATION', { details: [detail] });

/** The detection time as milliseconds, if it is plausible (device clocks are within the signature window). */
function detectedAtMs(text: string, now: number, at: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw invalid(`${at}detected_at: not a time`);
  if (ms > now + SIGNATURE_WINDOW_MS) throw invalid(`${at}detected_at: in the future`);
  if (ms < now - SECURITY_EVENT_MAX_AGE_MS) throw invalid(`${at}detected_at: too old to report`);
  return ms;
}

interface OwnSession {
  readonly id: string;
  /** The name of the gateway the session was bootstrapped for. */
  readonly gateway: string;
}

/** The session, if the wire id names a session of this device (else VIW_E_NOT_FOUND). */
async function ownSession(ctx: DeviceEventsCtx, device: DesktopDevice, wire: string): Promise<OwnSession> {
  const id = fromWireId('s', wire);
  const session = id
    ? await ctx.db.session.findUnique({
        where: { id },
        select: { id: true, deviceId: true, userId: true, gateway: { select: { name: true } } },
      })
    : null;
  if (!session || session.deviceId !== device.id || session.userId !== device.userId) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['session_id: no such session for this device'] });
  }
  return { id: session.id, gateway: session.gateway.name };
}

/** Checks every report of `device` (the whole batch) before any is recorded. */
async function checkAll(
  ctx: DeviceEventsCtx,
  device: DesktopDevice,
  reports: readonly DeviceEventReport[],
  now: number,
): Promise<CheckedReport[]> {
  const sessions = new Map<string, OwnSession>();
  const checked: CheckedReport[] = [];
  for (const [i, report] of reports.entries()) {
    const at = reports.length > 1 ? `events/${i}/` : '';
    if (isLeakReport(report) && !SECURITY_EVENT_REASONS_BY_TYPE[report.type].includes(report.reason)) {
      throw invalid(`${at}reason: not a reason of type ${report.type}`);
    }
    for (const [field, address] of addressesOf(report)) {
      if (!address.ok) throw invalid(`${at}${field}: not an IP address`);
    }
    const detectedAt = detectedAtMs(report.detected_at, now, at);
    let session: OwnSession | null = null;
    if (report.session_id !== null) {
      session = sessions.get(report.session_id) ?? (await ownSession(ctx, device, report.session_id));
      sessions.set(report.session_id, session);
    }
    checked.push({ report, detectedAt, session });
  }
  return checked;
}

/**
 * Records the reports of `device` (signature verified, device active — the route's part), one audit
 * event each, all with the request's trace id. Returns that id.
 */
export async function recordDeviceEvents(
  ctx: DeviceEventsCtx,
  device: DesktopDevice,
  reports: readonly DeviceEventReport[],
  origin: ReportOrigin,
): Promise<{ readonly eventId: string }> {
  const now = ctx.now().getTime();
  const checked = await checkAll(ctx, device, reports, now);
  const user = await ctx.db.user.findUnique({ where: { id: device.userId }, select: { auditId: true } });
  for (const c of checked) {
    await ctx.audit.record({
      ...factsOf(c, device, now),
      userAuditId: user?.auditId ?? null,
      device_id: device.id,
      session_id: c.session?.id ?? null,
      src_ip: origin.sourceIp,
      trace_id: origin.traceId,
    });
  }
  return { eventId: origin.traceId };
}
