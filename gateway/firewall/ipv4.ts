// IPv4 arithmetic for per-session forwarding: the networks a session_filter document names (checked
// strictly — the node refuses rather than rounds, so what the backend asked for is exactly what the
// kernel gets) and the VPN pool the node pins each session's address in.
import { ViworksError } from '../../core/errors/viworks-error.js';
import { MAX_SESSION_NETWORKS } from '../../core/gateway/control.js';

/** Canonical dotted quad: no leading zeros (`010` could be read as octal), each octet ≤ 255. */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const PREFIX_RE = /^([0-9]|[12][0-9]|3[0-2])$/;

export interface Ipv4Net {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const invalid = (why: string) => new ViworksError('VIW_E_VALIDATION', { message: `invalid request: ${why}` });

export const ipToInt = (ip: string): number =>
  ip.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
export const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
/** Last address of the network (its broadcast address). */
export const lastOf = (n: Ipv4Net): number => (n.base | ~maskOf(n.prefix)) >>> 0;
export const cidrText = (n: Ipv4Net): string => `${intToIp(n.base)}/${n.prefix}`;

export function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** Parses `a.b.c.d/n` in canonical form; null when it is not exactly that (host bits included). */
export function parseNet(text: string): Ipv4Net | null {
  const [ip = '', len = '', extra] = text.split('/');
  if (extra !== undefined || !isIpv4(ip) || !PREFIX_RE.test(len)) return null;
  const prefix = Number(len);
  const base = ipToInt(ip);
  if ((base & ~maskOf(prefix)) >>> 0 !== 0) return null;
  return { base, prefix };
}

export const overlaps = (a: Ipv4Net, b: Ipv4Net): boolean => a.base <= lastOf(b) && b.base <= lastOf(a);

/**
 * The networks of a session_filter document, sorted (same set, same order, same rules): refused
 * whole (VIW_E_VALIDATION) when one is not a canonical CIDR, is /0 (that is spelled
 * "unrestricted"), or overlaps another (a duplicate included), or there are too many.
 */
export function checkSessionNetworks(networks: readonly string[]): string[] {
  if (networks.length > MAX_SESSION_NETWORKS) throw invalid('too many networks');
  const parsed: Ipv4Net[] = [];
  for (const [i, text] of networks.entries()) {
    const net = parseNet(text);
    if (!net) throw invalid(`networks[${i}] is not a canonical IPv4 CIDR (host bits set?)`);
    if (net.prefix === 0) throw invalid(`networks[${i}] is /0: send "unrestricted" instead`);
    parsed.push(net);
  }
  parsed.sort((a, b) => a.base - b.base || a.prefix - b.prefix);
  for (let i = 1; i < parsed.length; i++) {
    // CIDRs are nested or disjoint, and sorted by base a network's successor starts inside it if
    // anything later does: checking neighbours finds every overlap.
    const prev = parsed[i - 1] as Ipv4Net;
    if (overlaps(prev, parsed[i] as Ipv4Net)) throw invalid('networks overlap');
  }
  return parsed.map(cidrText);
}

/**
 * Client addresses of the OpenVPN pool `vpn_network` (`server` with topology subnet): the network's
 * first host is the server, its broadcast address is no one's; everything between is a client's.
 */
export interface VpnPool {
  readonly net: Ipv4Net;
  readonly first: number;
  readonly last: number;
  /** Dotted netmask, for `ifconfig-push <address> <netmask>`. */
  readonly netmask: string;
}

export function vpnPool(vpnNetwork: string): VpnPool {
  const net = parseNet(vpnNetwork);
  if (!net || net.prefix > 29) throw new ViworksError('VIW_E_CONFIG', { details: ['vpn_network: bad pool'] });
  return { net, first: net.base + 2, last: lastOf(net) - 1, netmask: intToIp(maskOf(net.prefix)) };
}

export function inPool(pool: VpnPool, address: string): boolean {
  if (!isIpv4(address)) return false;
  const n = ipToInt(address);
  return n >= pool.first && n <= pool.last;
}

/** The lowest client address of the pool (from `from` on) not in `used`; null when none is left. */
export function lowestFree(pool: VpnPool, used: ReadonlySet<string>, from = pool.first): string | null {
  for (let n = Math.max(from, pool.first); n <= pool.last; n++) {
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  return null;
}
