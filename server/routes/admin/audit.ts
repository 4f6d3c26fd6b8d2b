// /admin/audit: query the hash-chained audit log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditQuery, AuditQueryReply } from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { queryAudit } from '../../services/admin/audit.js';

export const adminAuditRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        summary: 'Query audit events (cursor over seq)',
        querystring: AuditQuery,
        response: { 200: AuditQueryReply },
      },
    },
    async (request) => queryAudit(ctx, request.query),
  );
};
