// Routing for policy routes: tunnel clients reach the pushed networks only if the node forwards IPv4.
// What may be forwarded is decided by the VIWORKS_FORWARD chain (policy routes only, from the VPN
// pool, in from the tunnel); this switch only makes forwarding possible at all. It is turned on when
// the policy has routes and never turned off here (another service on the node may rely on it).
import { readFileSync, writeFileSync } from 'node:fs';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Returns true when forwarding had to be switched on. */
export function ensureIpForwarding(needed: boolean, path = IP_FORWARD): boolean {
  if (!needed) return false;
  if (readFileSync(path, 'utf8').trim() === '1') return false;
  writeFileSync(path, '1\n');
  return true;
}
