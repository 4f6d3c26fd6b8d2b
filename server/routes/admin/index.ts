// The /admin subtree: one encapsulated plugin with one guard (guard.ts), then one plugin per
// resource; paths, schemas and permissions come from BACKEND_ROUTES. See docs/admin-api.md.
import type { FeaturePlugin } from '../feature.js';
import { adminAlertRoutes } from './alerts.js';
import { adminAuditRoutes } from './audit.js';
import { adminAuditExportRoutes } from './audit-export.js';
import { adminAuditIntegrityRoutes } from './audit-integrity.js';
import { adminAuthRoutes } from './auth.js';
import { adminDeviceRoutes } from './devices.js';
import { adminEnrollmentTokenRoutes } from './enrollment-tokens.js';
import { adminGatewayRoutes } from './gateways.js';
import { adminGroupRoutes } from './groups.js';
import { installAdminGuard } from './guard.js';
import { adminOverviewRoutes } from './overview.js';
import { adminPhoneRoutes } from './phones.js';
import { adminPolicyRoutes } from './policies.js';
import { adminSessionEventRoutes } from './session-events.js';
import { adminSessionRoutes } from './sessions.js';
import { adminUserRoutes } from './users.js';

export const adminRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  installAdminGuard(app, ctx);
  for (const plugin of [
    adminAuthRoutes,
    adminUserRoutes,
    adminDeviceRoutes,
    adminPhoneRoutes,
    adminEnrollmentTokenRoutes,
    adminSessionRoutes,
    adminSessionEventRoutes,
    adminAuditRoutes,
    adminAuditExportRoutes,
    adminAuditIntegrityRoutes,
    adminOverviewRoutes,
    adminAlertRoutes,
    adminGatewayRoutes,
    adminGroupRoutes,
    adminPolicyRoutes,
  ]) {
    await app.register(plugin, { ctx, routes });
  }
};
