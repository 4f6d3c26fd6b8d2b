// /admin/audit/integrity and /admin/audit/verify: what was sealed, signed and verified last, and a
// verification of the database against the signed manifests now (rate-limited, audited).
import { auditIntegrity, verifyAuditNow } from '../../services/admin/audit-integrity.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminAuditIntegrityRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminAuditIntegrity', async () => auditIntegrity(ctx));

  routes.handle(app, 'adminAuditVerify', async (request) =>
    verifyAuditNow(ctx, adminSessionOf(request).actor),
  );
};
