// The backend's route table: each feature is one plugin with its schemas; they all receive the
// AppContext. Add a feature with one line here.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export type FeaturePlugin = (app: FastifyInstance, opts: { ctx: AppContext }) => Promise<void>;

const FEATURES: ReadonlyArray<readonly [prefix: string, plugin: () => Promise<FeaturePlugin>]> = [
  // ['/auth', async () => (await import('./auth.js')).authRoutes],
];

export async function registerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  for (const [prefix, load] of FEATURES) {
    await app.register(await load(), { prefix, ctx });
  }
}
