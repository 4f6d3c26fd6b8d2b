// What every feature plugin receives: the AppContext, and the route table it registers its
// handlers in (server/http/route-table.ts; method, path and schemas come from core/api).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { BackendRouteTable } from '../http/route-table.js';

export interface FeatureOptions {
  readonly ctx: AppContext;
  readonly routes: BackendRouteTable;
}

export type FeaturePlugin = (app: FastifyInstance, opts: FeatureOptions) => Promise<void>;
