// /admin/login, /admin/logout, /admin/me, and the caller's own credentials (/admin/password,
// /admin/totp/enroll, /admin/totp/confirm): the routes a setup session may use.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AuthReply,
  EmptyBody,
  LoginBody,
  MeReply,
  PasswordChangeBody,
  TotpConfirmBody,
  TotpEnrollReply,
} from '../../../core/api/admin.js';
import type { AppContext } from '../../context.js';
import { adminLogin, adminLogout, permissionsOf, requiredSteps } from '../../services/admin/auth.js';
import { changeOwnPassword, confirmOwnTotp, enrollOwnTotp } from '../../services/admin/setup.js';
import { RATE_RULES } from '../../services/rate-limit.js';
import { adminSessionOf } from './guard.js';

export const adminAuthRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/login',
    {
      config: { permission: 'public' },
      // Counted before the body is even parsed: every attempt from an address counts.
      onRequest: async (request) => ctx.rate.hit(RATE_RULES.adminLogin, request.ip),
      schema: {
        summary: 'Log in (password, plus TOTP once enrolled)',
        body: LoginBody,
        response: { 200: AuthReply },
      },
    },
    async (request) => adminLogin(ctx, request.body, { traceId: request.id, ip: request.ip }),
  );

  app.post(
    '/logout',
    {
      config: { permission: 'self' },
      schema: { summary: 'End this admin session', body: EmptyBody },
    },
    async (request, reply) => {
      const own = adminSessionOf(request);
      await adminLogout(ctx, own.token, own.actor);
      return reply.status(204).send();
    },
  );

  app.get(
    '/me',
    {
      config: { permission: 'self' },
      schema: { summary: 'The calling administrator', response: { 200: MeReply } },
    },
    async (request) => {
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
    },
  );

  app.post(
    '/password',
    {
      config: { permission: 'self' },
      schema: { summary: 'Change your own password', body: PasswordChangeBody, response: { 200: AuthReply } },
    },
    async (request) => changeOwnPassword(ctx, adminSessionOf(request), request.body),
  );

  app.post(
    '/totp/enroll',
    {
      config: { permission: 'self' },
      schema: {
        summary: 'Start TOTP enrollment (secret shown once)',
        body: EmptyBody,
        response: { 200: TotpEnrollReply },
      },
    },
    async (request) => enrollOwnTotp(ctx, adminSessionOf(request)),
  );

  app.post(
    '/totp/confirm',
    {
      config: { permission: 'self' },
      schema: {
        summary: 'Finish TOTP enrollment with a code',
        body: TotpConfirmBody,
        response: { 200: AuthReply },
      },
    },
    async (request) => confirmOwnTotp(ctx, adminSessionOf(request), request.body.code),
  );
};
