// The desktop's session routes (thin edges over services/client/bootstrap.ts and sessions.ts):
//   GET  /client/bootstrap   Bearer access token + viworks-bootstrap-grant → sealed bootstrap
//   POST /client/heartbeat   {session_id} → {status:'active', idle_timeout_s, …} | VIW_E_SESSION_REVOKED
//   POST /client/disconnect  {session_id} → {status:'ended'}
//   GET  /client/events      ?session_id=… → Server-Sent Events (client-events.ts)
// All carry the access token; the session routes authenticate before the body is even parsed.
import type { FastifyRequest } from 'fastify';
import { BOOTSTRAP_GRANT_HEADER } from '../../core/api/client.js';
import { tokenHash } from '../services/auth/tokens.js';
import { authenticateClient, type ClientAccess } from '../services/client/access.js';
import { issueBootstrap } from '../services/client/bootstrap.js';
import { disconnect, heartbeat } from '../services/client/sessions.js';
import type { RateRule } from '../services/rate-limit.js';
import { registerClientEvents } from './client-events.js';
import type { FeaturePlugin } from './feature.js';

/** Per source address, generous: many desktops may share one NAT address. Stops token guessing floods. */
const CLIENT_RATE_IP: RateRule = { name: 'client-ip', limit: 1200, windowMs: 60_000 };
/** Per access token: a heartbeat a minute plus reconnects leaves ample room. */
const CLIENT_RATE_TOKEN: RateRule = { name: 'client-token', limit: 60, windowMs: 60_000 };

export const clientRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  const accessOf = new WeakMap<FastifyRequest, ClientAccess>();
  const requireAccess = async (request: FastifyRequest) => {
    const granted = await authenticateClient(ctx.kv, request.headers.authorization);
    await ctx.rate.hit(CLIENT_RATE_TOKEN, tokenHash(granted.token));
    accessOf.set(request, granted);
  };
  const access = (request: FastifyRequest) => accessOf.get(request)!;
  app.addHook('onRequest', async (request) => ctx.rate.hit(CLIENT_RATE_IP, request.ip));

  routes.handle(app, 'clientBootstrap', async (request) =>
    issueBootstrap(ctx, {
      authorization: request.headers.authorization,
      grant: request.headers[BOOTSTRAP_GRANT_HEADER],
      sourceIp: request.ip,
      traceId: request.id,
    }),
  );

  routes.handle(
    app,
    'clientHeartbeat',
    async (request) => heartbeat(ctx, access(request), request.body.session_id, request.id),
    { onRequest: requireAccess },
  );

  routes.handle(
    app,
    'clientDisconnect',
    async (request) => disconnect(ctx, access(request), request.body.session_id, request.id),
    { onRequest: requireAccess },
  );

  registerClientEvents(app, ctx, routes, requireAccess, access);
};
