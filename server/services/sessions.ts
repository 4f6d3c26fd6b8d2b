// Ending sessions. Every path that must cut a user off — admin terminate, user lock, device unbind,
// idle timeout — goes through endSessions(), which marks the sessions ended, tells connected
// clients (revoked event), and audits each one. Certificate revocation + CRL and gateway teardown
// hook in here (sessions/bootstrap work and the gateway issue).
import type { Db, SessionEndReason } from '../data/client.js';
import type { AuditService } from './audit.js';
import type { SessionEventBus } from './session-events.js';

export interface SessionEndDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly events: SessionEventBus;
  readonly now: () => Date;
  /** Called for each ended session (certificate revocation, gateway teardown). */
  readonly onEnded?: (session: { id: string; clientCertSerial: string | null }) => Promise<void>;
}

export type SessionSelector =
  | { readonly sessionId: string }
  | { readonly userId: string }
  | { readonly deviceId: string };

/** Ends every live session the selector matches; returns the ids it ended. Idempotent. */
export async function endSessions(
  deps: SessionEndDeps,
  selector: SessionSelector,
  reason: SessionEndReason,
  actor: { readonly traceId?: string } = {},
): Promise<string[]> {
  const where =
    'sessionId' in selector
      ? { id: selector.sessionId }
      : 'userId' in selector
        ? { userId: selector.userId }
        : { deviceId: selector.deviceId };
  const live = await deps.db.session.findMany({
    where: { ...where, endedAt: null },
    select: {
      id: true,
      userId: true,
      deviceId: true,
      clientCertSerial: true,
      user: { select: { auditId: true } },
    },
  });
  const endedAt = deps.now();
  const ended: string[] = [];
  for (const s of live) {
    const res = await deps.db.session.updateMany({
      where: { id: s.id, endedAt: null },
      data: { endedAt, endReason: reason },
    });
    if (res.count !== 1) continue; // someone else ended it meanwhile
    ended.push(s.id);
    deps.events.publish({ type: 'revoked', sessionId: s.id, reason, at: endedAt.toISOString() });
    await deps.onEnded?.({ id: s.id, clientCertSerial: s.clientCertSerial });
    await deps.audit.record({
      component: 'backend',
      action: 'session.end',
      result: 'success',
      userAuditId: s.user.auditId,
      device_id: s.deviceId,
      session_id: s.id,
      error_msg: reason,
      ...(actor.traceId ? { trace_id: actor.traceId } : {}),
    });
  }
  return ended;
}
