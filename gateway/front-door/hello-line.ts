// A reassembled ClientHello → its hello-log line (core/tls/front-door-hello.ts), fingerprinted with
// core/tls/fingerprints.ts. The line is checked against the shared schema before it is written: a
// value that does not fit its grammar (an address, a port, a fingerprint) means no line at all.
import { fingerprintClientHello } from '../../core/tls/fingerprints.js';
import { type FrontDoorHello, frontDoorHello, offeredVersion } from '../../core/tls/front-door-hello.js';
import type { SeenHello } from './flows.js';

export function helloLine(seen: SeenHello): FrontDoorHello | null {
  const { ja3, ja4 } = fingerprintClientHello(seen.hello);
  const version = offeredVersion(ja4);
  const ts = new Date(seen.tsMs);
  if (Number.isNaN(ts.getTime())) return null;
  const line = {
    ts: ts.toISOString(),
    src_ip: seen.srcIp,
    src_port: seen.srcPort,
    dst_port: seen.dstPort,
    ja3,
    ja4,
    ...(version ? { tls_version: version } : {}),
  };
  return frontDoorHello.check(line) ? line : null;
}
