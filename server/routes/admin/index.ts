// The /admin subtree: one encapsulated plugin with one guard (guard.ts), then one plugin per
// resource. Registered under /admin by server/routes/index.ts. See docs/admin-api.md.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { adminAuditRoutes } from './audit.js';
import { adminAuthRoutes } from './auth.js';
import { adminDeviceRoutes } from './devices.js';
import { adminEnrollmentTokenRoutes } from './enrollment-tokens.js';
import { adminGatewayRoutes } from './gateways.js';
import { installAdminGuard } from './guard.js';
import { adminSessionRoutes } from './sessions.js';
import { adminUserRoutes } from './users.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  installAdminGuard(app, ctx);
  for (const plugin of [
    adminAuthRoutes,
    adminUserRoutes,
    adminDeviceRoutes,
    adminEnrollmentTokenRoutes,
    adminSessionRoutes,
    adminAuditRoutes,
    adminGatewayRoutes,
  ]) {
    await app.register(plugin, { ctx });
  }
};
