// The backend's features: each is one plugin (its own hooks: rate limits, the admin guard) that
// registers the handlers of its entries of BACKEND_ROUTES (core/api/backend-routes.ts). Paths come
// from that table, so plugins are registered without a prefix. Add a feature with one line here.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { BackendRouteTable } from '../http/route-table.js';
import type { FeaturePlugin } from './feature.js';

const FEATURES: ReadonlyArray<() => Promise<FeaturePlugin>> = [
  async () => (await import('./client.js')).clientRoutes,
  async () => (await import('./pki.js')).pkiRoutes,
  async () => (await import('./auth.js')).authRoutes,
  async () => (await import('./device.js')).deviceRoutes,
  async () => (await import('./device-events.js')).deviceEventRoutes,
  async () => (await import('./mobile.js')).mobileRoutes,
  async () => (await import('./phone-app.js')).phoneAppRoutes,
  async () => (await import('../admin-ui/serve.js')).adminUiRoutes,
  async () => (await import('./admin/index.js')).adminRoutes,
];

export async function registerRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  routes: BackendRouteTable,
): Promise<void> {
  for (const load of FEATURES) {
    await app.register(await load(), { ctx, routes });
  }
}
