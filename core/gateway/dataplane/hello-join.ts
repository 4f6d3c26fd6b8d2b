// The gateway front door's ClientHello fingerprints (the hello log, written by the node's passive
// capture, gateway/front-door/; line format core/tls/front-door-hello.ts), held until stunnel's
// `tls.handshake` of the same source address and port claims them. One implementation for both
// readers of the hello log: the backend's ingest (server/services/gateways/ingest-dataplane.ts, one
// per gateway, fed by `pull_logs hello`) and the node's normalizer (gateway/observe/round.ts).
//
// Both read the hello log before stunnel's each round: a hello is written as the client sends it,
// stunnel's line only once the handshake has ended, so a handshake's hello is in that round's hello
// lines or an earlier round's — unless the capture wrote it later than stunnel logged the end (a fast
// failure, a loaded node), when the event goes out without fingerprints and the hello is forgotten
// unclaimed.
//
// A line is taken only when it passes the shared schema: a line the node did not write, or a damaged
// one, is skipped. Bounded: the oldest unclaimed hello is forgotten first.

import { type FingerprintFacts, fingerprintFacts } from '../../tls/fingerprint-facts.js';
import { canonicalIp, frontDoorHello } from '../../tls/front-door-hello.js';
import { BoundedMap } from './text.js';
import type { DataplaneFact } from './types.js';

/** Unclaimed hellos remembered (per gateway on the backend). */
export const GATEWAY_HELLO_ENTRIES = 10_000;
/** Longer lines are not the capture's (its lines are ~200 bytes). */
const MAX_LINE_CHARS = 1024;

const keyOf = (ip: string, port: number) => `${ip}|${port}`;

/** The facts that take a hello: stunnel's end of a TLS handshake, whose source is the client's. */
export function claimsHello(fact: Pick<DataplaneFact, 'source' | 'action'>): boolean {
  return fact.source === 'stunnel' && fact.action === 'tls.handshake';
}

export class GatewayHellos {
  private readonly recent: BoundedMap<string, FingerprintFacts>;

  constructor(cap = GATEWAY_HELLO_ENTRIES) {
    this.recent = new BoundedMap(cap);
  }

  /** Remembers one hello-log line; false when it is not one (nothing is kept). */
  add(line: string): boolean {
    if (line.length > MAX_LINE_CHARS) return false;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    if (!frontDoorHello.check(value)) return false;
    const ip = canonicalIp(value.src_ip);
    const facts = fingerprintFacts(value);
    if (!ip || !facts.tls_ja3 || !facts.tls_ja4) return false;
    this.recent.set(keyOf(ip, value.src_port), facts);
    return true;
  }

  /**
   * The fingerprints of the connection from `ip`:`port`, once: the entry is removed, since the same
   * port later is another connection with its own hello.
   */
  take(ip: string | null, port: number | null): FingerprintFacts | null {
    const canonical = ip === null ? null : canonicalIp(ip);
    if (canonical === null || port === null) return null;
    const key = keyOf(canonical, port);
    const found = this.recent.get(key) ?? null;
    if (found) this.recent.delete(key);
    return found;
  }
}
