// Routing for tunnel clients: they reach any network only if the node forwards IPv4. What may be
// forwarded is decided per session by the forwarding table (forward-table.ts) and the VIWORKS_FORWARD
// chain that defers to its mark; this switch only makes forwarding possible at all. apply_config
// turns it on, and it is never turned off here (another service on the node may rely on it).
import { readFileSync, writeFileSync } from 'node:fs';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Returns true when forwarding had to be switched on. */
export function ensureIpForwarding(needed: boolean, path = IP_FORWARD): boolean {
  if (!needed) return false;
  if (readFileSync(path, 'utf8').trim() === '1') return false;
  writeFileSync(path, '1\n');
  return true;
}
