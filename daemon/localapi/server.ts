// The local API server: Fastify over a Unix domain socket (no TCP, no TLS: the socket's
// permissions are the boundary), strict schemas (closed objects, no coercion, 64 KiB bodies), the
// route table from LOCAL_ROUTES, NDJSON streams for watch and logs, the metrics (metrics.ts)
// subscribed to the engine from the start.

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  clientErrorHandler,
  connectionsCheckingIntervalMs,
  frameworkErrorHandler,
} from '../../core/errors/http-edge.js';
import type { Engine } from '../engine/engine.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { installEdge, versionHeaders } from './edge.js';
import { DaemonMetrics } from './metrics.js';
import { type Authorizer, allowSocketPeers, RouteTable } from './route-table.js';
import { registerRoutes } from './routes.js';
import { groupId, prepareSocketPath, SOCKET_GROUP, secureSocket } from './socket.js';
import { StreamRegistry } from './streams.js';
import { wipeReadChunks } from './wipe-reads.js';

export const LOCAL_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Time limits at the local socket: the request line and headers within 10 s, the whole request
 * within 30 s (else 408 VIW_E_REQUEST_TIMEOUT), idle keep-alive connections closed after 5 s.
 * There is no inactivity limit on a connection: `watch` streams are quiet while nothing changes,
 * and only members of the socket's group can connect at all.
 */
export const LOCAL_EDGE_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
} as const;

export type LocalEdgeLimits = { readonly [K in keyof typeof LOCAL_EDGE_LIMITS]: number };

export interface LocalApiOptions {
  readonly socketPath: string;
  readonly engine: Engine;
  readonly log: DaemonLog;
  readonly daemonVersion: string;
  readonly authorize?: Authorizer;
  /** The group allowed on the socket (default `viworks`; unused when it does not exist). */
  readonly group?: string;
  /** LOCAL_EDGE_LIMITS unless given (tests shorten them). */
  readonly limits?: LocalEdgeLimits;
}

export interface LocalApi {
  readonly app: FastifyInstance;
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function buildLocalApp(o: Omit<LocalApiOptions, 'socketPath' | 'group'>): Promise<{
  app: FastifyInstance;
  streams: StreamRegistry;
}> {
  const limits = o.limits ?? LOCAL_EDGE_LIMITS;
  const headers = versionHeaders(o.daemonVersion);
  const app = Fastify({
    bodyLimit: LOCAL_BODY_LIMIT_BYTES,
    logger: false,
    genReqId: () => randomUUID(),
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(
        limits.headersTimeoutMs,
        limits.requestTimeoutMs,
      ),
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    frameworkErrors: frameworkErrorHandler(
      headers,
      (request) => request.id,
      (code) => o.log.debug(`localapi: refused at the edge (${code})`),
    ),
    clientErrorHandler: clientErrorHandler(headers, (code) =>
      o.log.debug(`localapi: refused at the edge (${code})`),
    ),
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    return503OnClosing: true,
  });
  const streams = new StreamRegistry(o.daemonVersion);
  wipeReadChunks(app.server);
  installEdge(app, o.daemonVersion, o.log, LOCAL_BODY_LIMIT_BYTES);
  const table = new RouteTable(app, o.authorize ?? allowSocketPeers);
  // Subscribed from the start, so the counters see every connect of this daemon's life.
  const metrics = new DaemonMetrics(o.engine, o.daemonVersion);
  registerRoutes(table, o.engine, o.log, streams, o.daemonVersion, metrics);
  const missing = table.missing();
  if (missing.length > 0) throw new Error(`local API routes without a handler: ${missing.join(', ')}`);
  app.addHook('preClose', async () => streams.closeAll());
  app.addHook('onClose', async () => metrics.stop());
  return { app, streams };
}

export async function startLocalApi(o: LocalApiOptions): Promise<LocalApi> {
  const { app } = await buildLocalApp(o);
  const gid = groupId(o.group ?? SOCKET_GROUP);
  await prepareSocketPath(o.socketPath, gid);
  await app.listen({ path: o.socketPath });
  await secureSocket(o.socketPath, gid);
  o.log.event('localapi.listen', 'ok', {
    socket: o.socketPath,
    group: gid === null ? null : (o.group ?? SOCKET_GROUP),
  });
  return {
    app,
    socketPath: o.socketPath,
    close: async () => {
      await app.close();
    },
  };
}
