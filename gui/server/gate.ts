// Who may talk to the GUI server: only the browser window opened with the launch URL. A local web
// server is reachable by every page the user visits and every local process, so each request must
// pass three checks, none of which a foreign page can satisfy:
//   - Host is exactly 127.0.0.1:<port> (a DNS-rebinding page sends its own name);
//   - Origin, when sent, is exactly http://127.0.0.1:<port>, and a request that changes anything
//     must send it; Sec-Fetch-Site, when sent, is same-origin or none (cross-site fetches say so);
//   - the session cookie, set once in exchange for the one-time launch token (HttpOnly,
//     SameSite=Strict: no other site's request carries it), on every request but the launch itself.
// The launch answers a page that moves on to / by itself (not a redirect): a navigation that
// started cross-site (the opener page) would carry neither the Strict cookie nor a same-origin
// Sec-Fetch-Site through a redirect; the page's own navigation carries both.
// Secrets are compared in constant time; none is ever logged.
import { randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../core/crypto/bytes.js';

export const SESSION_COOKIE = 'viworks_gui';

export type Refusal = 'host' | 'origin' | 'session';

export interface RequestFacts {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
  readonly cookie: string | undefined;
}

const secret = () => randomBytes(32).toString('base64url');
const same = (a: string | undefined, b: string) =>
  a !== undefined && constantTimeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The value of `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export class LaunchGate {
  private launchToken: string | null = secret();
  private readonly session = secret();

  constructor(private readonly port: number) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The URL to open: the one-time launch token in the query of /launch. */
  launchUrl(): string {
    if (!this.launchToken) throw new Error('the launch URL was used already');
    return `${this.origin}/launch?token=${this.launchToken}`;
  }

  /** Trades the launch token for the session cookie, once; null when the token is wrong or spent. */
  exchange(token: string | undefined): string | null {
    if (!this.launchToken || !same(token, this.launchToken)) return null;
    this.launchToken = null;
    return `${SESSION_COOKIE}=${this.session}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /**
   * Why a request is refused, or null when it may pass. The launch request (a GET navigation) needs
   * the right Host only: the one-time token is its proof, and it may come from anywhere — a
   * terminal's link, or the opener page (a file: page, so the browser calls it cross-site).
   */
  check(r: RequestFacts, launching = false): Refusal | null {
    if (r.host !== `127.0.0.1:${this.port}`) return 'host';
    if (launching) return r.method === 'GET' ? null : 'origin';
    if (r.origin !== undefined && r.origin !== this.origin) return 'origin';
    if (r.secFetchSite !== undefined && r.secFetchSite !== 'same-origin' && r.secFetchSite !== 'none')
      return 'origin';
    if (r.method !== 'GET' && r.method !== 'HEAD' && r.origin === undefined) return 'origin';
    return same(cookieValue(r.cookie, SESSION_COOKIE), this.session) ? null : 'session';
  }
}
