// /admin/phones: bound phones and their attestation verdicts — list (filter by user and status).
import { listPhones } from '../../services/admin/phones.js';
import type { FeaturePlugin } from '../feature.js';

export const adminPhoneRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminPhonesList', async (request) => listPhones(ctx, request.query));
};
