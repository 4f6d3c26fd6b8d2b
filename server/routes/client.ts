// The desktop's session routes (thin edges over services/client/bootstrap.ts and sessions.ts):
//   GET  /client/bootstrap   Bearer access token + viworks-bootstrap-grant → sealed bootstrap
//   POST /client/heartbeat   {session_id} → {status:'active', idle_timeout_s, …} | VIW_E_SESSION_REVOKED
//   POST /client/disconnect  {session_id} → {status:'ended'}
//   GET  /client/events      ?session_id=… → Server-Sent Events (client-events.ts)
// All carry the access token; the session routes authenticate before the body is even parsed.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  BOOTSTRAP_GRANT_HEADER,
  BootstrapResponseSchema,
  DisconnectResponseSchema,
  HeartbeatResponseSchema,
  SessionRequestSchema,
} from '../../core/api/client.js';
import { tokenHash } from '../services/auth/tokens.js';
import { authenticateClient, type ClientAccess } from '../services/client/access.js';
import { issueBootstrap } from '../services/client/bootstrap.js';
import { disconnect, heartbeat } from '../services/client/sessions.js';
import type { RateRule } from '../services/rate-limit.js';
import { registerClientEvents } from './client-events.js';
import type { FeaturePlugin } from './index.js';

/** Per source address, generous: many desktops may share one NAT address. Stops token guessing floods. */
const CLIENT_RATE_IP: RateRule = { name: 'client-ip', limit: 1200, windowMs: 60_000 };
/** Per access token: a heartbeat a minute plus reconnects leaves ample room. */
const CLIENT_RATE_TOKEN: RateRule = { name: 'client-token', limit: 60, windowMs: 60_000 };

export const clientRoutes: FeaturePlugin = async (app, { ctx }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const accessOf = new WeakMap<FastifyRequest, ClientAccess>();
  const requireAccess = async (request: FastifyRequest) => {
    const granted = await authenticateClient(ctx.kv, request.headers.authorization);
    await ctx.rate.hit(CLIENT_RATE_TOKEN, tokenHash(granted.token));
    accessOf.set(request, granted);
  };
  const access = (request: FastifyRequest) => accessOf.get(request)!;
  r.addHook('onRequest', async (request) => ctx.rate.hit(CLIENT_RATE_IP, request.ip));

  r.get(
    '/bootstrap',
    {
      schema: {
        summary: 'The HPKE-sealed bootstrap for this device (once per login: the grant is one-time)',
        response: { 200: BootstrapResponseSchema },
      },
    },
    async (request) =>
      issueBootstrap(ctx, {
        authorization: request.headers.authorization,
        grant: request.headers[BOOTSTRAP_GRANT_HEADER],
        sourceIp: request.ip,
        traceId: request.id,
      }),
  );

  r.post(
    '/heartbeat',
    {
      onRequest: requireAccess,
      schema: {
        summary: 'Keeps a session alive; answers VIW_E_SESSION_REVOKED once it has ended',
        body: SessionRequestSchema,
        response: { 200: HeartbeatResponseSchema },
      },
    },
    async (request) => heartbeat(ctx, access(request), request.body.session_id, request.id),
  );

  r.post(
    '/disconnect',
    {
      onRequest: requireAccess,
      schema: {
        summary: 'Ends the session (logout) and retires the access token',
        body: SessionRequestSchema,
        response: { 200: DisconnectResponseSchema },
      },
    },
    async (request) => disconnect(ctx, access(request), request.body.session_id, request.id),
  );

  registerClientEvents(r, ctx, requireAccess, access);
};
