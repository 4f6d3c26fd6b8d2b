// Captive portal detection before a connect (issue #12 item 4). Hotel and airport networks answer
// every plain-HTTP request with their sign-in page until the user signs in; a VPN started behind
// one fails in confusing ways (backend unreachable, TLS errors) and, with the tunnel half up, would
// look like a leak. So connect first asks a known URL that answers 204 No Content on an open
// network: anything else — a redirect, a page — is a portal, and the user is told to sign in.
// The probe carries nothing that identifies the user, the device or the product: plain GET, no
// cookies, no User-Agent, no query, `Connection: close`; a network error or timeout is "no answer"
// (not a portal: the backend check then says what is wrong).
import { request } from 'node:http';

export interface CaptivePortalOptions {
  /** An http:// URL answering 204 on an open network (docs/cli.md#captive-portals). */
  readonly url: string;
  readonly timeoutMs?: number;
}

export type CaptiveVerdict =
  | { readonly kind: 'open' }
  | { readonly kind: 'portal'; readonly detail: string }
  | { readonly kind: 'no_answer'; readonly detail: string };

export const DEFAULT_CAPTIVE_PROBE_URL = 'http://connectivity-check.ubuntu.com/';
const DEFAULT_TIMEOUT_MS = 3000;
/** A 204 has no body; a portal's page is read only this far (never stored or logged). */
const MAX_BODY = 4096;

/** Throws RangeError unless `url` is a plain http:// URL without credentials. */
export function checkProbeUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError('the captive portal probe URL is not a URL');
  }
  if (u.protocol !== 'http:')
    throw new RangeError('the captive portal probe URL must be http:// (portals intercept plain HTTP)');
  if (u.username || u.password)
    throw new RangeError('the captive portal probe URL must not carry credentials');
  return u;
}

export function probeCaptivePortal(o: CaptivePortalOptions): Promise<CaptiveVerdict> {
  const url = checkProbeUrl(o.url);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { connection: 'close' },
        timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        agent: false,
      },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) res.destroy();
        });
        const settle = () => {
          const status = res.statusCode ?? 0;
          if (status === 204 && size === 0) return resolve({ kind: 'open' });
          const location = res.headers.location;
          resolve({
            kind: 'portal',
            detail:
              status >= 300 && status < 400 && typeof location === 'string'
                ? `redirected to ${hostOf(location)}`
                : `answered ${status} instead of 204`,
          });
        };
        res.on('end', settle);
        res.on('close', settle);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ kind: 'no_answer', detail: err.code ?? err.message.slice(0, 60) }),
    );
    req.end();
  });
}

/** The host a portal redirects to (shown to the user), never its path or query. */
function hostOf(location: string): string {
  try {
    return new URL(location).host.slice(0, 100);
  } catch {
    return 'another page';
  }
}
