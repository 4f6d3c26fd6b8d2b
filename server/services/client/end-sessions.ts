// Ending sessions. Every path that must cut a user off — admin terminate, user lock, device unbind,
// idle timeout — goes through endSessions(ctx.sessionEnd, …), which marks the sessions ended, tells
// connected clients (revoked event), revokes each session's client certificate and republishes the
// CRL (onEnded, wired in session-end-hooks.ts), and audits each one. Gateway teardown hooks in
// at onEnded too (gateway issue).
import type { Db, SessionEndReason } from '../../data/client.js';
import type { AuditService } from '../audit/service.js';
import type { SessionEventBus } from './events.js';

export interface SessionEndDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly events: SessionEventBus;
  readonly now: () => Date;
  /**
   * Called for each ended session (certificate revocation + CRL, gateway teardown): pass
   * `ctx.sessionEnd` to get it. Without it the session sweeper still revokes the certificate on
   * its next run (session-sweeper.ts), only later.
   */
  readonly onEnded?: (session: EndedSession) => Promise<void>;
}

export interface EndedSession {
  readonly id: string;
  readonly clientCertSerial: string | null;
  readonly reason: SessionEndReason;
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
    await deps.onEnded?.({ id: s.id, clientCertSerial: s.clientCertSerial, reason });
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
