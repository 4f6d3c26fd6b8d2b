// /admin/enrollment-tokens: fleet enrollment tokens — create (token shown once), list, revoke.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateEnrollmentTokenBody,
  CreateEnrollmentTokenReply,
  EmptyBody,
  EnrollmentTokenReply,
  IdParams,
  ListEnrollmentTokensQuery,
  ListEnrollmentTokensReply,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { createToken, listTokens, revokeToken } from '../../services/admin/enrollment-tokens.js';
import { adminSessionOf } from './guard.js';

export const adminEnrollmentTokenRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (
  app,
  { ctx },
) => {
  app.get(
    '/enrollment-tokens',
    {
      config: { permission: 'tokens:read' },
      schema: {
        summary: 'List enrollment tokens with their state',
        querystring: ListEnrollmentTokensQuery,
        response: { 200: ListEnrollmentTokensReply },
      },
    },
    async (request) => listTokens(ctx, request.query),
  );

  app.post(
    '/enrollment-tokens',
    {
      config: { permission: 'tokens:write' },
      schema: {
        summary: 'Create an enrollment token (shown once)',
        body: CreateEnrollmentTokenBody,
        response: { 201: CreateEnrollmentTokenReply },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createToken(ctx, adminSessionOf(request).actor, request.body)),
  );

  app.post(
    '/enrollment-tokens/:id/revoke',
    {
      config: { permission: 'tokens:write' },
      schema: {
        summary: 'Revoke an enrollment token',
        params: IdParams,
        body: EmptyBody,
        response: { 200: EnrollmentTokenReply },
      },
    },
    async (request) => revokeToken(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
