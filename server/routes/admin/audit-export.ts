// /admin/audit/export: the audit events of a query as one NDJSON or CSV download (audit:read).
import { AUDIT_EXPORT_MEDIA_TYPES } from '../../../core/api/admin-audit.js';
import { exportAudit } from '../../services/admin/audit-export.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminAuditExportRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminAuditExport', async (request, reply) => {
    const file = await exportAudit(ctx, adminSessionOf(request).actor, request.query);
    file.body.on('error', (err) => request.log.error({ err }, 'audit export cut short'));
    return reply
      .type(AUDIT_EXPORT_MEDIA_TYPES[file.format])
      .header('content-disposition', `attachment; filename="${file.filename}"`)
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  });
};
