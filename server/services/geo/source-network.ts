// Whether a source address is on a private network: such an address has no country or AS, so it is
// answered `private` without a database lookup. Pure; no I/O.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Not routable on the internet: this-network, RFC 1918 private, RFC 6598 shared (carrier-grade
 * NAT), loopback, link-local; IPv6 unspecified, loopback, unique local (fc00::/7), link-local.
 * Documentation ranges (192.0.2.0/24, 2001:db8::/32, …) are not listed: they are looked up like
 * any other address and a real database simply has no entry for them.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`), else the input. */
export function unmapAddress(ip: string): string {
  return MAPPED_V4.exec(ip)?.[1] ?? ip;
}

/** True for the ranges above. An address that does not parse is not called private. */
export function isPrivateAddress(ip: string): boolean {
  const address = unmapAddress(ip);
  if (isIPv4(address)) return PRIVATE.check(address, 'ipv4');
  if (isIPv6(address)) return PRIVATE.check(address, 'ipv6');
  return false;
}
