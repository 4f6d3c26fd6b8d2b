// /admin/enrollment-tokens: fleet enrollment tokens — create (token shown once), list, revoke.
import { createToken, listTokens, revokeToken } from '../../services/admin/enrollment-tokens.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminEnrollmentTokenRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminEnrollmentTokensList', async (request) => listTokens(ctx, request.query));

  routes.handle(app, 'adminEnrollmentTokensCreate', async (request, reply) =>
    reply.status(201).send(await createToken(ctx, adminSessionOf(request).actor, request.body)),
  );

  routes.handle(app, 'adminEnrollmentTokensRevoke', async (request) =>
    revokeToken(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
