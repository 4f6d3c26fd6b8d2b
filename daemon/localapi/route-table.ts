// The one route table of the local API: every route comes from LOCAL_ROUTES (core/api/local.ts),
// is registered exactly once (a duplicate method+path or name throws at start-up, like Tailscale's
// localapi.Register), and declares whether it reads or writes. The authorizer sees that flag on
// every request; today the socket's filesystem permissions (root + group viworks) are the whole
// policy, so the default authorizer admits both — a peer-credential check (SO_PEERCRED) that makes
// writes operator-only plugs in here.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { LOCAL_ROUTES } from '../../core/api/local.js';

export type RouteName = keyof typeof LOCAL_ROUTES;

/** Throws (a ViworksError) to refuse a request; `write` is the route's declared kind. */
export type Authorizer = (request: FastifyRequest, route: { name: RouteName; write: boolean }) => void;

export const allowSocketPeers: Authorizer = () => undefined;

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export class RouteTable {
  private readonly keys = new Set<string>();
  private readonly names = new Set<RouteName>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly authorize: Authorizer = allowSocketPeers,
  ) {}

  register(name: RouteName, schema: FastifySchema, handler: Handler): void {
    const route = LOCAL_ROUTES[name];
    const key = `${route.method} ${route.path}`;
    if (this.names.has(name) || this.keys.has(key)) {
      throw new Error(`local API route registered twice: ${name} (${key})`);
    }
    this.names.add(name);
    this.keys.add(key);
    const authorize = this.authorize;
    this.app.route({
      method: route.method,
      url: route.path,
      schema,
      onRequest: async (request) => authorize(request, { name, write: route.write }),
      handler,
    });
  }

  /** Routes of the contract that have no handler yet (start-up asserts none). */
  missing(): RouteName[] {
    return (Object.keys(LOCAL_ROUTES) as RouteName[]).filter((n) => !this.names.has(n));
  }
}
