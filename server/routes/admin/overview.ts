// /admin/overview: live sessions, the auth funnel of the last hour, gateway health, open alerts.
import { overview } from '../../services/admin/overview.js';
import type { FeaturePlugin } from '../feature.js';

export const adminOverviewRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminOverview', async () => overview(ctx));
};
