// Name resolution for the connect sequence, bounded in time (a resolver that never answers must
// not hold the connect forever) and IPv4-only (the gateway is IPv4-only; block-ipv6 sinks IPv6):
//   resolveWithTimeout     one name → its IPv4 addresses, or VIW_E_PREFLIGHT naming what failed
//   backendBypassAddresses the enrolled backend's addresses that need a /32 route outside the
//                          tunnel: IP literals as they are, names resolved; loopback never
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { ViworksError } from '../../core/errors/viworks-error.js';

/** Host → every IPv4 address it has (A records). */
export type ResolveAll = (host: string) => Promise<string[]>;

export const DEFAULT_RESOLVE_TIMEOUT_MS = 5000;

/** The system resolver (getaddrinfo, so /etc/hosts counts), IPv4 only. */
export const systemResolveAll: ResolveAll = async (host) =>
  (await lookup(host, { family: 4, all: true })).map((a) => a.address);

/** Resolves within `timeoutMs`; at least one IPv4 address or VIW_E_PREFLIGHT (`what` names the check). */
export async function resolveWithTimeout(
  resolve: ResolveAll,
  host: string,
  what: string,
  timeoutMs = DEFAULT_RESOLVE_TIMEOUT_MS,
): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ViworksError('VIW_E_PREFLIGHT', { details: [`${what}: no answer in ${timeoutMs} ms`] })),
      timeoutMs,
    );
  });
  try {
    const addresses = (await Promise.race([resolve(host), timeout])).filter((a) => isIPv4(a));
    if (addresses.length === 0)
      throw new ViworksError('VIW_E_PREFLIGHT', { details: [`${what}: no IPv4 address`] });
    return [...new Set(addresses)];
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw new ViworksError('VIW_E_PREFLIGHT', { details: [`${what}: does not resolve`], cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** The backend's TCP port (what the kill switch lets out beside its addresses). */
export function backendPort(backendUrl: string): number {
  const u = new URL(backendUrl);
  return Number(u.port || (u.protocol === 'http:' ? 80 : 443));
}

const isLoopbackOrUnspecified = (a: string) => /^(127|0)\./.test(a);

/**
 * The backend's IPv4 addresses to keep outside the tunnel. A loopback backend needs no route (it
 * never leaves the host); an IPv6 literal gets none (IPv6 is not routed outside by block-ipv6).
 */
export async function backendBypassAddresses(
  backendUrl: string,
  resolve: ResolveAll,
  timeoutMs = DEFAULT_RESOLVE_TIMEOUT_MS,
): Promise<string[]> {
  const host = new URL(backendUrl).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 6) return [];
  const addresses = isIPv4(host)
    ? [host]
    : await resolveWithTimeout(resolve, host, 'backend_route', timeoutMs);
  return addresses.filter((a) => !isLoopbackOrUnspecified(a));
}
