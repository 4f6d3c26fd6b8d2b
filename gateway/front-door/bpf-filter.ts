// The capture filter: TCP segments to the front-door port that carry payload, nothing else — no
// SYNs, no bare ACKs, no other port, no traffic the gateway sends. Built from one checked integer:
// no text from a configuration or a peer ever reaches libpcap's filter compiler.
// IPv6 only without extension headers (next header TCP), as the decoder (packet.ts) reads it.
import { ViworksError } from '../../core/errors/viworks-error.js';

export function frontDoorFilter(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ViworksError('VIW_E_CONFIG', { details: ['front door port: not a port'] });
  }
  // IP length − IP header − TCP header: the payload (an IPv4 length of 0, BIG TCP, passes too).
  const v4 = 'ip and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0';
  const v6 = 'ip6 and ip6[6] == 6 and ip6[4:2] - ((ip6[52] & 0xf0) >> 2) != 0';
  return `tcp dst port ${port} and ((${v4}) or (${v6}))`;
}
