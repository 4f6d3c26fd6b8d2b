// The backend registers its routes from the one table, BACKEND_ROUTES (core/api/backend-routes.ts):
// a route plugin names the entry it handles, and method, path, schemas and the admin permission
// come from the table — never typed again here. Start-up fails on a table entry without a handler
// (`assertComplete`), on a handler registered twice, and on any Fastify route that did not come from
// the table (a handler without a route); HEAD twins of GET routes are Fastify's own and allowed.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  RouteGenericInterface,
} from 'fastify';
import type { Static, TSchema } from 'typebox';
import {
  adminPermissionOf,
  BACKEND_ROUTES,
  type BackendRoute,
  type BackendRouteName,
} from '../../core/api/backend-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The table entry a route was registered from (route-table.ts). */
    backendRoute?: BackendRouteName;
  }
}

type StaticOr<S, Fallback> = S extends TSchema ? Static<S> : Fallback;
type Field<R, K extends string> = R extends { readonly [P in K]: infer S } ? S : undefined;

/** The request a handler of table entry N sees: body, params and query typed from its schemas. */
export interface RouteRequest<N extends BackendRouteName> extends RouteGenericInterface {
  Body: StaticOr<Field<(typeof BACKEND_ROUTES)[N], 'body'>, undefined>;
  Params: StaticOr<Field<(typeof BACKEND_ROUTES)[N], 'params'>, Record<string, never>>;
  Querystring: StaticOr<Field<(typeof BACKEND_ROUTES)[N], 'querystring'>, Record<string, never>>;
}

export type RouteHandler<N extends BackendRouteName> = (
  request: FastifyRequest<RouteRequest<N>>,
  reply: FastifyReply,
) => Promise<unknown>;

export interface HandleOptions {
  /** Route-level hooks (authentication of this one route). */
  readonly onRequest?: onRequestHookHandler | onRequestHookHandler[];
}

export class BackendRouteTable {
  private readonly handled = new Set<BackendRouteName>();

  /** Installs the check that every route of `app` (and its plugins) comes from the table. */
  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (route.method === 'HEAD') return;
      const name = route.config?.backendRoute;
      const spec = name ? (BACKEND_ROUTES[name] as BackendRoute) : undefined;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!spec || route.url !== spec.path || !methods.includes(spec.method)) {
        throw new Error(`route ${String(route.method)} ${route.url} is not in BACKEND_ROUTES (core/api)`);
      }
    });
  }

  /** Registers the handler of table entry `name` on `scope` (a feature plugin, for its hooks). */
  handle<N extends BackendRouteName>(
    scope: FastifyInstance,
    name: N,
    handler: RouteHandler<N>,
    opts: HandleOptions = {},
  ): void {
    if (this.handled.has(name)) throw new Error(`backend route handled twice: ${name}`);
    this.handled.add(name);
    const spec: BackendRoute = BACKEND_ROUTES[name];
    const permission = adminPermissionOf(spec);
    scope.route({
      method: spec.method,
      url: spec.path,
      schema: {
        summary: spec.summary,
        ...(spec.hidden ? { hide: true } : {}),
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.querystring ? { querystring: spec.querystring } : {}),
        ...(spec.body ? { body: spec.body } : {}),
        ...(spec.response ? { response: spec.response } : {}),
      },
      config: { backendRoute: name, ...(permission ? { permission } : {}) },
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
      handler: handler as unknown as (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    });
  }

  /** Table entries without a handler; start-up refuses to serve while any remain. */
  missing(): BackendRouteName[] {
    return (Object.keys(BACKEND_ROUTES) as BackendRouteName[]).filter((n) => !this.handled.has(n));
  }

  assertComplete(): void {
    const missing = this.missing();
    if (missing.length > 0) throw new Error(`backend routes without a handler: ${missing.join(', ')}`);
  }
}
