// /admin/alerts: the detection rules' alerts — list (filters, pages), acknowledge.
import { ackAlert, listAlerts } from '../../services/detections/admin-alerts.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminAlertRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminAlertsList', async (request) => listAlerts(ctx, request.query));

  routes.handle(app, 'adminAlertsAck', async (request) =>
    ackAlert(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
