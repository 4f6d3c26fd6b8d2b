// The metrics listener: its own plain-HTTP server (never the public API's), one route — GET /metrics
// with the bearer token — and nothing else. Every request is authenticated before it is looked at
// (an unauthenticated caller learns only 401), requests carry no body, headers are small and slow
// clients are cut. Concurrent scrapes share one collection, so a burst costs the database one
// round of count queries. The token is never logged, nor is a presented one.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { isLoopback, type ListenAddress, parseListen } from './settings.js';
import { loadOrCreateMetricsToken, type MetricsToken } from './token.js';

export interface MetricsLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What the listener needs of a prom-client Registry. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServerOptions {
  /** `host:port`, `[v6]:port` or a bare port (settings.ts). */
  readonly listen: string;
  readonly tokenFile: string;
  readonly registry: MetricsSource;
  readonly log: MetricsLog;
}

export interface MetricsServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Limits at this edge: a scrape is one small GET. */
export const METRICS_EDGE_LIMITS = {
  maxHeaderBytes: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 16,
} as const;

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

function send(res: ServerResponse, code: ErrorCode, headers: Record<string, string> = {}): void {
  const err = new ViworksError(code);
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
    ...headers,
  });
  res.end(JSON.stringify(err.toBody()));
}

/** Logs refused requests without letting a flood of them flood the log: the first, then a count a minute. */
function refusalLogger(log: MetricsLog): () => void {
  let refused = 0;
  let lastAt = Number.NEGATIVE_INFINITY;
  return () => {
    refused++;
    const now = Date.now();
    if (now - lastAt < REFUSAL_LOG_INTERVAL_MS) return;
    log.warn(`metrics: ${refused} request(s) refused without a valid bearer token`);
    refused = 0;
    lastAt = now;
  };
}

function handler(token: MetricsToken, source: MetricsSource, log: MetricsLog) {
  const refused = refusalLogger(log);
  let inflight: Promise<string> | null = null;
  const collect = () => {
    inflight ??= source.metrics().finally(() => {
      inflight = null;
    });
    return inflight;
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const auth = req.headers.authorization;
    if (auth === undefined) {
      refused();
      send(res, 'VIW_E_AUTH_REQUIRED', { 'www-authenticate': 'Bearer realm="viworks-metrics"' });
      return;
    }
    const bearer = BEARER.exec(auth);
    if (!bearer || !token.matches(bearer[1]!)) {
      refused();
      send(res, 'VIW_E_TOKEN_INVALID', {
        'www-authenticate': 'Bearer realm="viworks-metrics", error="invalid_token"',
      });
      return;
    }
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
      send(res, 'VIW_E_BODY_TOO_LARGE');
      return;
    }
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') {
      send(res, 'VIW_E_NOT_FOUND');
      return;
    }
    if (req.method !== 'GET') {
      send(res, 'VIW_E_BAD_REQUEST', { allow: 'GET' });
      return;
    }
    collect().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
      (err: unknown) => {
        log.error(`metrics: collecting failed (${(err as Error)?.name ?? 'error'})`);
        send(res, 'VIW_E_INTERNAL');
      },
    );
  };
}

async function listen(server: Server, at: ListenAddress): Promise<ListenAddress> {
  server.listen({ host: at.host, port: at.port });
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err)),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ViworksError('VIW_E_CONFIG', { details: [`metrics.listen: cannot listen (${code})`] });
  }
  const bound = server.address() as AddressInfo;
  return { host: bound.address, port: bound.port };
}

/**
 * Starts the metrics listener. Throws VIW_E_CONFIG (nothing listening) when the address is invalid
 * or taken, or the token file is unsafe (group/world access, a symlink, another owner, no token).
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const at = parseListen(o.listen);
  const token = loadOrCreateMetricsToken(o.tokenFile);
  const l = METRICS_EDGE_LIMITS;
  const server = createServer(
    {
      maxHeaderSize: l.maxHeaderBytes,
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
    },
    handler(token, o.registry, o.log),
  );
  server.maxConnections = l.maxConnections;
  const address = await listen(server, at);
  if (!isLoopback(at.host)) {
    o.log.warn(
      `metrics: listening on ${at.host}, not loopback: plain HTTP, the bearer token crosses the network in clear`,
    );
  }
  o.log.info(`metrics: listening on ${address.host}:${address.port} (GET /metrics, bearer token)`);
  return {
    address,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
