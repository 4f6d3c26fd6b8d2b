// /admin/login, /admin/logout, /admin/me, and the caller's own credentials (/admin/password,
// /admin/totp/enroll, /admin/totp/confirm): the routes a setup session may use.
import { adminLogin, adminLogout, permissionsOf, requiredSteps } from '../../services/admin/auth.js';
import { changeOwnPassword, confirmOwnTotp, enrollOwnTotp } from '../../services/admin/setup.js';
import { RATE_RULES } from '../../services/rate-limit.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminAuthRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(
    app,
    'adminLogin',
    async (request) => adminLogin(ctx, request.body, { traceId: request.id, ip: request.ip }),
    // Counted before the body is even parsed: every attempt from an address counts.
    { onRequest: async (request) => ctx.rate.hit(RATE_RULES.adminLogin, request.ip) },
  );

  routes.handle(app, 'adminLogout', async (request, reply) => {
    const own = adminSessionOf(request);
    await adminLogout(ctx, own.token, own.actor);
    return reply.status(204).send();
  });

  routes.handle(app, 'adminMe', async (request) => {
    const { user, claims } = adminSessionOf(request);
    return {
      username: user.username,
      role: user.role,
      pseudonym: ctx.audit.userPseudonym(user.auditId),
      scope: claims.scope,
      permissions: claims.scope === 'full' ? permissionsOf(user.role) : [],
      required: requiredSteps(user),
      expires_at: new Date(claims.expiresAt).toISOString(),
    };
  });

  routes.handle(app, 'adminPassword', async (request) =>
    changeOwnPassword(ctx, adminSessionOf(request), request.body),
  );

  routes.handle(app, 'adminTotpEnroll', async (request) => enrollOwnTotp(ctx, adminSessionOf(request)));

  routes.handle(app, 'adminTotpConfirm', async (request) =>
    confirmOwnTotp(ctx, adminSessionOf(request), request.body.code),
  );
};
