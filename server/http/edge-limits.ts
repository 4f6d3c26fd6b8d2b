// Time and concurrency limits at the backend's edge, so a slow or silent peer holds nothing for
// long (lessons.md: timeouts on half-closed connections; nothing a slow peer can use to stall us).
// The numbers are documented in docs/identity-api.md ("Limits at the edge").
//
// - TLS handshake: a connection that has not finished its handshake is closed.
// - Headers: the request line and headers must arrive in full, else 408 VIW_E_REQUEST_TIMEOUT.
// - Whole request: headers and body must arrive in full, else 408 VIW_E_REQUEST_TIMEOUT (a body
//   trickled a byte at a time or never sent is cut here).
// - Idle keep-alive: an idle connection between requests is closed.
// - Socket inactivity: no byte either way for this long closes the connection (event streams send a
//   keep-alive comment every 15 s, phone long-polls answer within 25 s).
// - Per source address, at most `maxPendingPerAddress` connections that have not yet delivered a
//   request's headers (further ones are closed at once), and at most `maxPendingPerAddress`
//   requests whose body is still arriving (further ones answer 429 VIW_E_RATE_LIMITED before their
//   body is read). Authenticated clients behind one NAT are not held back by this: a request stops
//   counting as soon as its body has arrived, and a bearer-token request carries no slow part.
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { connectionsCheckingIntervalMs } from '../../core/errors/http-edge.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export interface EdgeLimits {
  readonly handshakeTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly socketIdleTimeoutMs: number;
  readonly maxPendingPerAddress: number;
}

export const EDGE_LIMITS: EdgeLimits = {
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  socketIdleTimeoutMs: 60_000,
  maxPendingPerAddress: 32,
};

/** The options Fastify hands to `https.createServer` and to the server it creates. */
export function serverTimeouts(l: EdgeLimits) {
  return {
    https: {
      handshakeTimeout: l.handshakeTimeoutMs,
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(l.headersTimeoutMs, l.requestTimeoutMs),
    },
    fastify: {
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionTimeout: l.socketIdleTimeoutMs,
    },
  };
}

/** Counts per key (a source address, a session…); `acquire` refuses at the cap. */
export class KeyedGauge {
  private readonly counts = new Map<string, number>();

  constructor(private readonly cap: number) {}

  acquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.cap) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }
}

const released = Symbol('viworks.pendingReleased');
type Tracked = FastifyRequest & { [released]?: boolean };

/** Installs the per-address caps on connections and on requests whose body is still arriving. */
export function installPendingCaps(app: FastifyInstance, limits: EdgeLimits): void {
  const connections = new KeyedGauge(limits.maxPendingPerAddress);
  // Keyed by address and port: the TCP socket and the TLS socket above it share both.
  const waiting = new Map<string, string>();
  const keyOf = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  const settle = (key: string) => {
    const address = waiting.get(key);
    if (address === undefined) return;
    waiting.delete(key);
    connections.release(address);
  };
  app.server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!connections.acquire(address)) {
      socket.destroy();
      return;
    }
    const key = keyOf(socket);
    waiting.set(key, address);
    socket.once('close', () => settle(key));
  });
  app.server.on('request', (req: { socket: Socket }) => settle(keyOf(req.socket)));

  const bodies = new KeyedGauge(limits.maxPendingPerAddress);
  const release = (request: Tracked) => {
    if (request[released] !== false) return;
    request[released] = true;
    bodies.release(request.ip);
  };
  app.addHook('onRequest', async (request: Tracked, reply) => {
    if (!bodies.acquire(request.ip)) {
      // The body of this request is never read; the connection cannot be reused.
      void reply.header('connection', 'close');
      throw new ViworksError('VIW_E_RATE_LIMITED');
    }
    request[released] = false;
    request.raw.once('close', () => release(request));
  });
  app.addHook('preValidation', async (request: Tracked) => release(request));
  app.addHook('onResponse', async (request: Tracked) => release(request));
}
