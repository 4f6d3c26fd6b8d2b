// /admin/sessions: VPN sessions — list (live/ended), terminate.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  EmptyBody,
  IdParams,
  ListSessionsQuery,
  ListSessionsReply,
  SessionReply,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { listSessions, terminateSession } from '../../services/admin/sessions.js';
import { adminSessionOf } from './guard.js';

export const adminSessionRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/sessions',
    {
      config: { permission: 'sessions:read' },
      schema: {
        summary: 'List VPN sessions (default: live)',
        querystring: ListSessionsQuery,
        response: { 200: ListSessionsReply },
      },
    },
    async (request) => listSessions(ctx, request.query),
  );

  app.post(
    '/sessions/:id/terminate',
    {
      config: { permission: 'sessions:terminate' },
      schema: {
        summary: 'End a live VPN session now',
        params: IdParams,
        body: EmptyBody,
        response: { 200: SessionReply },
      },
    },
    async (request) => terminateSession(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
