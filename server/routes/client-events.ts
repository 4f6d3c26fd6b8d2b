// GET /client/events?session_id=s-… — Server-Sent Events for one session (push, don't poll):
//   event: state    first message, the session's current state (as POST /client/heartbeat sees it)
//   event: revoked  the session ended (admin, idle, expiry, logout, …); the stream then closes
//   `: keepalive`   comment every 15 s so proxies keep the connection open
// At most STREAMS_PER_SESSION streams per session and STREAMS_PER_TOKEN per access token are open
// at once on an instance (a daemon needs one; a reconnect may briefly overlap the old one); one
// more answers 429 VIW_E_TOO_MANY_STREAMS before anything is subscribed.
// The listener is subscribed BEFORE the state is read, so an end that lands in between is still
// delivered; it is removed when the stream closes, whoever closes it. Streams are ended when the
// server closes, so shutdown never waits on them.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RevokedEvent, SessionState } from '../../core/api/client.js';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { AppContext } from '../context.js';
import { KeyedGauge } from '../http/edge-limits.js';
import type { BackendRouteTable } from '../http/route-table.js';
import { tokenHash } from '../services/auth/tokens.js';
import type { ClientAccess } from '../services/client/access.js';
import { ownedSession } from '../services/client/access.js';
import type { SessionEvent } from '../services/client/events.js';
import { currentState } from '../services/client/sessions.js';
import { VERSION } from '../version.js';

export const KEEPALIVE_MS = 15_000;
export const STREAMS_PER_SESSION = 4;
export const STREAMS_PER_TOKEN = 4;

const frame = (event: 'state' | 'revoked', data: SessionState | RevokedEvent) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function registerClientEvents(
  app: FastifyInstance,
  ctx: AppContext,
  routes: BackendRouteTable,
  requireAccess: (request: FastifyRequest) => Promise<void>,
  access: (request: FastifyRequest) => ClientAccess,
): void {
  const open = new Set<() => void>();
  const perSession = new KeyedGauge(STREAMS_PER_SESSION);
  const perToken = new KeyedGauge(STREAMS_PER_TOKEN);
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  routes.handle(
    app,
    'clientEvents',
    async (request, reply) => {
      const { session_id } = request.query;
      const granted = access(request);
      const session = await ownedSession(ctx, granted, session_id);
      const token = tokenHash(granted.token);
      if (!perSession.acquire(session.id)) throw new ViworksError('VIW_E_TOO_MANY_STREAMS');
      if (!perToken.acquire(token)) {
        perSession.release(session.id);
        throw new ViworksError('VIW_E_TOO_MANY_STREAMS');
      }
      const releaseQuota = () => {
        perSession.release(session.id);
        perToken.release(token);
      };
      const wireId = toWireId('s', session.id);
      const early: SessionEvent[] = [];
      let deliver: ((e: SessionEvent) => void) | null = null;
      const unsubscribe = ctx.events.subscribe(session.id, (e) => (deliver ? deliver(e) : early.push(e)));
      let state: SessionState;
      try {
        state = await currentState(ctx, session, request.id);
      } catch (err) {
        unsubscribe();
        releaseQuota();
        throw err;
      }

      reply.hijack();
      const res: ServerResponse = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-trace-id': request.id,
        'viworks-version': VERSION,
      });
      let closed = false;
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepalive);
        unsubscribe();
        releaseQuota();
        open.delete(close);
        res.end();
      };
      open.add(close);
      res.on('close', close);
      const revoked = (reason: string | null, at: string) => {
        if (closed) return;
        res.write(frame('revoked', { session_id: wireId, reason, at }));
        close();
      };

      res.write(frame('state', state));
      if (state.status !== 'active') {
        revoked(state.end_reason, new Date().toISOString());
        return;
      }
      deliver = (e) => revoked(e.reason, e.at);
      for (const e of early.splice(0)) deliver(e);
    },
    { onRequest: requireAccess },
  );
}
