// The one authentication and authorization hook of the /admin subtree. Every admin route declares
// `config.permission` (registration fails otherwise); the hook then, before any body is parsed:
//   public → nothing (login only; it has its own per-IP rate limit);
//   else   → a live `Bearer viw_adm_…` session of an account that may still use it, and
//            setup sessions only on `self` routes, and the role's permission from ROLE_PERMISSIONS.
// Refusals by role are audited (admin.access_denied) for the admin-abuse detections.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type RoutePermission, roleAllows } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { AdminActor } from '../../services/admin/audit-events.js';
import { auditAdmin } from '../../services/admin/audit-events.js';
import { actorOf, requiredSteps, resolveAdminSession } from '../../services/admin/auth.js';
import type { OwnSession } from '../../services/admin/setup.js';
import { tokenKind } from '../../services/auth/tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an admin route requires (core/api/admin.ts). */
    permission?: RoutePermission;
  }
  interface FastifyRequest {
    /** Set by the admin guard on every non-public admin route. */
    adminSession?: OwnSession;
  }
}

/** Body limit of every admin route: requests are small JSON objects. */
export const ADMIN_BODY_LIMIT = 8 * 1024;

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw new ViworksError('VIW_E_AUTH_REQUIRED');
  const m = /^Bearer ([^\s]+)$/.exec(header);
  if (!m || tokenKind(m[1]!) !== 'adm') throw new ViworksError('VIW_E_TOKEN_INVALID');
  return m[1]!;
}

export function installAdminGuard(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.permission) {
      throw new Error(`admin route ${String(route.method)} ${route.url} declares no permission`);
    }
    route.bodyLimit ??= ADMIN_BODY_LIMIT;
  });

  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === 'public') return;
    if (permission === undefined) throw new ViworksError('VIW_E_FORBIDDEN'); // unreachable: see onRoute
    const token = bearerToken(request);
    const found = await resolveAdminSession(ctx, token);
    if (!found) throw new ViworksError('VIW_E_TOKEN_INVALID');
    const { claims, user } = found;
    const actor: AdminActor = actorOf(user, { traceId: request.id, ip: request.ip });
    if (claims.scope === 'setup' && permission !== 'self') {
      throw new ViworksError('VIW_E_SETUP_REQUIRED', { details: requiredSteps(user) });
    }
    if (permission !== 'self' && !roleAllows(user.role, permission)) {
      await auditAdmin(ctx.audit, actor, {
        action: 'admin.access_denied',
        result: 'denied',
        targetAuditId: user.auditId,
        error_code: 'VIW_E_FORBIDDEN',
        error_msg: permission,
      });
      throw new ViworksError('VIW_E_FORBIDDEN', { details: [`requires ${permission}`] });
    }
    request.adminSession = { token, claims, user, actor };
  });

  // Action routes take an empty object; a bodiless POST is the same request.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
}

/** The session the guard established; only called from non-public routes. */
export function adminSessionOf(request: FastifyRequest): OwnSession {
  if (!request.adminSession) throw new ViworksError('VIW_E_AUTH_REQUIRED');
  return request.adminSession;
}
