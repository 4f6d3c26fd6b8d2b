// Admin API: VPN sessions (created by the bootstrap service). Terminating one goes through
// endSessions(), which marks it ended, pushes `revoked` to the client, tears down and audits.
import type { ListSessionsQueryT, SessionViewT } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Session } from '../../data/client.js';
import { endSessions } from '../client/end-sessions.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import type { AdminDeps } from './credentials.js';
import { iso, pageArgs, pageOf } from './paging.js';

type SessionRow = Session & { user: { username: string; auditId: string }; gateway: { name: string } };
const related = {
  user: { select: { username: true, auditId: true } },
  gateway: { select: { name: true } },
} as const;

export function sessionView(s: SessionRow): SessionViewT {
  return {
    id: s.id,
    state: s.endedAt ? 'ended' : 'live',
    user_id: s.userId,
    username: s.user.username,
    device_id: s.deviceId,
    gateway_id: s.gatewayId,
    gateway_name: s.gateway.name,
    created_at: iso(s.createdAt),
    expires_at: iso(s.expiresAt),
    last_heartbeat_at: iso(s.lastHeartbeatAt),
    ended_at: iso(s.endedAt),
    end_reason: s.endReason,
  };
}

/** One session's list row now, or null when there is no such session. */
export async function sessionRowView(deps: Pick<AdminDeps, 'db'>, id: string): Promise<SessionViewT | null> {
  const row = await deps.db.session.findUnique({ where: { id }, include: related });
  return row ? sessionView(row) : null;
}

export async function listSessions(deps: AdminDeps, q: ListSessionsQueryT) {
  const { idBelow, orderBy, take } = pageArgs(q);
  const state = q.state ?? 'live';
  const rows = await deps.db.session.findMany({
    where: {
      ...idBelow,
      ...(state === 'live' ? { endedAt: null } : state === 'ended' ? { endedAt: { not: null } } : {}),
      ...(q.user_id ? { userId: q.user_id } : {}),
      ...(q.device_id ? { deviceId: q.device_id } : {}),
    },
    include: related,
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  return { sessions: page.items.map(sessionView), next_cursor: page.next_cursor };
}

export async function terminateSession(deps: AdminDeps, actor: AdminActor, id: string) {
  const before = await deps.db.session.findUnique({ where: { id }, select: { endedAt: true } });
  if (!before) throw new ViworksError('VIW_E_NOT_FOUND');
  const ended = before.endedAt
    ? []
    : await endSessions(deps.sessionEnd, { sessionId: id }, 'revoked', { traceId: actor.traceId });
  if (ended.length !== 1)
    throw new ViworksError('VIW_E_CONFLICT', { details: ['the session has already ended'] });
  const session = await deps.db.session.findUniqueOrThrow({ where: { id }, include: related });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.session_terminate',
    result: 'success',
    targetAuditId: session.user.auditId,
    device_id: session.deviceId,
    session_id: session.id,
  });
  return { session: sessionView(session) };
}
