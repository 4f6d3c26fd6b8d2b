// What a TLS connection turned out to be used for: its first request's route family, or nothing
// (closed before any request). Browsers reach the backend by design — the phone app (`/phone/`)
// and its API (`/mobile/`) — and their fingerprints are as many as there are browser builds, so
// "a ClientHello not in the allowlist" means something only for a connection that is NOT a browser's:
// the desktop and admin API, or nothing at all (a probe). The fingerprint events wait for this
// answer (services/tls-fingerprints/handshake-events.ts), at most `maxWaitMs`.
import type { FastifyInstance } from 'fastify';
import { BACKEND_ROUTES } from '../../core/api/backend-routes.js';

export type ConnectionUse = 'browser' | 'api' | 'closed' | 'undecided';

/** The first path segment of every route the phone app (a browser) uses: `/phone`, `/mobile`. */
export const BROWSER_PATH_PREFIXES: readonly string[] = [
  ...new Set(
    Object.entries(BACKEND_ROUTES)
      .filter(([name]) => name.startsWith('phoneApp') || name.startsWith('mobile'))
      .map(([, route]) => `/${route.path.split('/')[1]}`),
  ),
];

interface Pending {
  readonly promise: Promise<ConnectionUse>;
  readonly settle: (use: ConnectionUse) => void;
}

const pending = new WeakMap<object, Pending>();

function entry(socket: object): Pending {
  let p = pending.get(socket);
  if (!p) {
    let settle: (use: ConnectionUse) => void = () => {};
    const promise = new Promise<ConnectionUse>((resolve) => {
      settle = resolve;
    });
    p = { promise, settle };
    pending.set(socket, p);
  }
  return p;
}

/** Resolves with the connection's use: at its first request, at its close, or 'undecided' after maxWaitMs. */
export function connectionUse(
  socket: NodeJS.EventEmitter & { readonly destroyed?: boolean },
  maxWaitMs: number,
): Promise<ConnectionUse> {
  const p = entry(socket);
  if (socket.destroyed) p.settle('closed');
  else socket.once('close', () => p.settle('closed'));
  const timer = setTimeout(() => p.settle('undecided'), maxWaitMs);
  timer.unref();
  return p.promise.finally(() => clearTimeout(timer));
}

/** Marks every connection's first request (an onRequest hook; later requests change nothing). */
export function installConnectionUse(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const path = request.url;
    const first = `/${path.split(/[/?]/)[1] ?? ''}`;
    const browser = BROWSER_PATH_PREFIXES.includes(first);
    entry(request.raw.socket).settle(browser ? 'browser' : 'api');
  });
}
