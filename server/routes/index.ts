// The backend's route table: each feature is one plugin with its schemas; they all receive the
// AppContext. Add a feature with one line here.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export type FeaturePlugin = (app: FastifyInstance, opts: { ctx: AppContext }) => Promise<void>;

const FEATURES: ReadonlyArray<readonly [prefix: string, plugin: () => Promise<FeaturePlugin>]> = [
  ['/client', async () => (await import('./client.js')).clientRoutes],
  ['/pki', async () => (await import('./pki.js')).pkiRoutes],
  // ['/auth', async () => (await import('./auth.js')).authRoutes],
  ['/auth', async () => (await import('./auth.js')).authRoutes],
  ['/device', async () => (await import('./device.js')).deviceRoutes],
  ['/mobile', async () => (await import('./mobile.js')).mobileRoutes],
  ['/admin', async () => (await import('./admin/index.js')).adminRoutes],
];

export async function registerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  for (const [prefix, load] of FEATURES) {
    await app.register(await load(), { prefix, ctx });
  }
}
