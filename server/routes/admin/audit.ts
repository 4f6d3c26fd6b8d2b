// /admin/audit: query the hash-chained audit log.
import { queryAudit } from '../../services/admin/audit.js';
import type { FeaturePlugin } from '../feature.js';

export const adminAuditRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminAudit', async (request) => queryAudit(ctx, request.query));
};
