// /admin/sessions: VPN sessions — list (live/ended), terminate.
import { listSessions, terminateSession } from '../../services/admin/sessions.js';
import type { FeaturePlugin } from '../feature.js';
import { adminSessionOf } from './guard.js';

export const adminSessionRoutes: FeaturePlugin = async (app, { ctx, routes }) => {
  routes.handle(app, 'adminSessionsList', async (request) => listSessions(ctx, request.query));

  routes.handle(app, 'adminSessionsTerminate', async (request) =>
    terminateSession(ctx, adminSessionOf(request).actor, request.params.id),
  );
};
