// The desktop's side of a live session: heartbeats (which keep the session and the access token
// alive), disconnect, and the state the event stream starts with. A session past its expiry or idle
// limit is ended here too, so a client never hears "active" for a session the sweeper would end.
import type { DisconnectResponse, HeartbeatResponse, SessionState } from '../../../core/api/client.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { Session } from '../../data/client.js';
import { accessTokens } from '../auth/grants.js';
import { documentOfVersion } from '../policy/resolve.js';
import { type ClientAccess, ownedSession } from './access.js';
import { endSessions } from './end-sessions.js';
import { type SessionPolicy, sessionPolicyOf } from './session-policy.js';

export type SessionCtx = Pick<AppContext, 'db' | 'kv' | 'config' | 'sessionEnd' | 'now' | 'audit' | 'events'>;

/** The session's own policy: the version it was allowed under (immutable, cached). */
async function policyOf(ctx: SessionCtx, s: Session): Promise<SessionPolicy> {
  const ref = { policy_id: s.policyId, version: s.policyVersion };
  return sessionPolicyOf(ref, await documentOfVersion(ctx, s.policyId, s.policyVersion));
}

/** Why a live session must end now, if it must. */
function dueEnd(s: Session, idleTimeoutS: number, now: Date): 'expired' | 'idle_timeout' | null {
  if (s.expiresAt <= now) return 'expired';
  const last = s.lastHeartbeatAt ?? s.createdAt;
  if (now.getTime() - last.getTime() > idleTimeoutS * 1000) return 'idle_timeout';
  return null;
}

/** The session's state, ending it first when it is overdue. */
export async function currentState(
  ctx: SessionCtx,
  session: Session,
  traceId?: string,
): Promise<SessionState> {
  const policy = await policyOf(ctx, session);
  let reason = session.endReason as string | null;
  if (!session.endedAt) {
    const due = dueEnd(session, policy.idleTimeoutS, ctx.now());
    if (due) {
      await endSessions(ctx.sessionEnd, { sessionId: session.id }, due, traceId ? { traceId } : {});
      const again = await ctx.db.session.findUnique({
        where: { id: session.id },
        select: { endReason: true },
      });
      reason = again?.endReason ?? due;
    }
  }
  return {
    session_id: toWireId('s', session.id),
    status: reason === null ? 'active' : 'ended',
    end_reason: reason,
    expires_at: session.expiresAt.toISOString(),
    idle_timeout_s: policy.idleTimeoutS,
    heartbeat_s: policy.heartbeatS,
  };
}

function revoked(reason: string | null): ViworksError {
  return new ViworksError('VIW_E_SESSION_REVOKED', { details: [`reason: ${reason ?? 'unknown'}`] });
}

export async function heartbeat(
  ctx: SessionCtx,
  access: ClientAccess,
  wireSessionId: string,
  traceId?: string,
): Promise<HeartbeatResponse> {
  const session = await ownedSession(ctx, access, wireSessionId);
  const state = await currentState(ctx, session, traceId);
  if (state.status !== 'active') throw revoked(state.end_reason);
  const now = ctx.now();
  const res = await ctx.db.session.updateMany({
    where: { id: session.id, endedAt: null },
    data: { lastHeartbeatAt: now },
  });
  if (res.count !== 1) throw revoked('ended meanwhile');
  // The first heartbeat shows the client has its tunnel; later ones are not pushed (one message
  // per session per interval across instances would buy the admin panel nothing).
  if (session.lastHeartbeatAt === null) {
    ctx.events.publish({ type: 'heard', sessionId: session.id, at: now.toISOString() });
  }
  // Sliding token lifetime: as long as the session is alive and heard from, never past its end.
  const ttlMs = Math.min(state.idle_timeout_s * 1000, session.expiresAt.getTime() - now.getTime());
  await accessTokens(ctx.kv).touch(access.token, ttlMs);
  return {
    status: 'active',
    idle_timeout_s: state.idle_timeout_s,
    heartbeat_s: state.heartbeat_s,
    expires_at: state.expires_at,
  };
}

/** Ends the session ('logout') and retires the access token. Idempotent. */
export async function disconnect(
  ctx: SessionCtx,
  access: ClientAccess,
  wireSessionId: string,
  traceId?: string,
): Promise<DisconnectResponse> {
  const session = await ownedSession(ctx, access, wireSessionId);
  await endSessions(ctx.sessionEnd, { sessionId: session.id }, 'logout', traceId ? { traceId } : {});
  await accessTokens(ctx.kv).revoke(access.token);
  const after = await ctx.db.session.findUnique({ where: { id: session.id }, select: { endReason: true } });
  return { status: 'ended', end_reason: after?.endReason ?? 'logout' };
}
