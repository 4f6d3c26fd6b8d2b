// What a TLS connection turned out to be used for: its first request's route family, or nothing
// (closed before any request). Browsers reach the backend by design — the phone app (`/phone/`)
// and its API (`/mobile/`), the admin panel (`/admin/`, its files, and its calls to the admin API)
// — and their fingerprints are as many as there are browser builds, so "a ClientHello not in the
// allowlist" means something only for a connection that is NOT a browser's: the desktop API, the
// CLI's admin calls, or nothing at all (a probe). The fingerprint events wait for this answer
// (services/tls-fingerprints/handshake-events.ts), at most `maxWaitMs`.
//
// The panel's calls share their paths with the CLI's, so they are told apart by the Fetch Metadata
// every current browser sends (`Sec-Fetch-Site: same-origin`) and no other client of ours does.
// The limit: any client can send that header (or ask for /phone/ or /admin/ first) and so keep its
// unknown fingerprint out of the alerts. The fingerprint is a detection, not a gate: the admin API
// still needs a session (password + TOTP), and the calls themselves are audited.
import type { FastifyInstance } from 'fastify';
import { BACKEND_ROUTES, type BackendRouteName } from '../../core/api/backend-routes.js';

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
    const browser = isBrowserRequest(
      request.url,
      request.routeOptions.config.backendRoute,
      request.headers['sec-fetch-site'],
    );
    entry(request.raw.socket).settle(browser ? 'browser' : 'api');
  });
}

/** Whether a request is a browser's: by its path, its route of the table, and its Fetch Metadata. */
export function isBrowserRequest(
  url: string,
  route: BackendRouteName | undefined,
  secFetchSite: string | string[] | undefined,
): boolean {
  const first = `/${url.split(/[/?]/)[1] ?? ''}`;
  if (BROWSER_PATH_PREFIXES.includes(first)) return true;
  if (route === undefined) return false;
  if (route.startsWith('adminUi')) return true;
  return route.startsWith('admin') && secFetchSite === 'same-origin';
}
