// What the backend records about TLS handshakes at its listener (docs/detections.md), from what the
// ClientHello gate saw (server/http/client-hello-gate.ts):
//
//   tls.fingerprint_unknown  a client whose JA4 and JA3 are both outside the allowlist; result
//                            success if its handshake completed, failure if not. At most once per
//                            fingerprint and source address per 10 minutes.
//   tls.handshake (failure)  a handshake that did not complete (TLS 1.2 only, no shared cipher
//                            suite, not TLS at all, a ClientHello too large or too slow), with the
//                            fingerprints when the ClientHello was read. At most once per source
//                            address per 10 minutes.
//
// Nothing is recorded for a known client that completes, nor for a connection that sent nothing
// (a TCP probe or a load balancer's health check). The once-per-window markers are in the shared
// store (KV setIfAbsent), so several backend instances record one event between them. A client
// can make up a new fingerprint per connection, so two ceilings bound what reaches the audit trail
// per window whatever it does: per source address, and in all (shared counters, KV incr).
import { fingerprintFacts } from '../../../core/tls/fingerprint-facts.js';
import type { HandshakeOutcome, HelloObservation } from '../../http/client-hello-gate.js';
import { connectionUse } from '../../http/connection-use.js';
import type { KvStore } from '../../kv/kv-store.js';
import type { ServiceAuditFacts } from '../audit/service.js';
import type { FingerprintAllowlist } from './allowlist.js';

export const EVENT_WINDOW_MS = 10 * 60_000;
/** Most tls.* events per source address per window (distinct fingerprints beyond it are not recorded). */
export const MAX_EVENTS_PER_SOURCE = 10;
/** Most tls.* events per window from all sources together (a spread-out flood). */
export const MAX_EVENTS_PER_WINDOW = 1000;

export interface HandshakeEventDeps {
  readonly allowlist: FingerprintAllowlist;
  readonly kv: Pick<KvStore, 'setIfAbsent' | 'incr'>;
  readonly record: (facts: ServiceAuditFacts) => Promise<unknown>;
  readonly log: { error(obj: object, msg: string): void };
  readonly windowMs?: number;
  readonly maxPerSource?: number;
  readonly maxPerWindow?: number;
  /** How long an unknown client's event waits for the connection's first request (default USE_WAIT_MS). */
  readonly useWaitMs?: number;
}

/** The audit schema's address pattern (its length cap is checked beside it). */
const IP = /^[0-9A-Fa-f.:]+$/;

/** Node's TLS error codes, in words an analyst reads (the code stays in brackets). */
const REASONS: Readonly<Record<string, string>> = {
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol version refused (TLS 1.3 only)',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol version refused (TLS 1.3 only)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol version refused (TLS 1.3 only)',
  ERR_SSL_VERSION_TOO_LOW: 'protocol version refused (TLS 1.3 only)',
  ERR_SSL_NO_SHARED_CIPHER: 'no shared cipher suite',
  ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM: 'no shared signature algorithm',
  ERR_SSL_NO_SUITABLE_KEY_SHARE: 'no shared key exchange group',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the client refused our certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the client refused our certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the client refused our certificate',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'the client aborted the handshake',
  ERR_SSL_TLSV1_ALERT_USER_CANCELLED: 'the client aborted the handshake',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'handshake timed out',
  ECONNRESET: 'connection reset during the handshake',
};

/** A short printable reason for error_msg (codes come from Node, but nothing unbounded goes in). */
export function handshakeFailureText(reason: string): string {
  const code = reason.replace(/[^\x20-\x7E]/g, '?').slice(0, 80);
  const words = REASONS[reason];
  return words ? `${words} [${code}]` : code;
}

/** IPv4-mapped IPv6 written as plain IPv4, as request events write it; null if not an address. */
function sourceIp(ip: string | null): string | null {
  if (!ip) return null;
  const plain = ip.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return IP.test(plain) && plain.length <= 45 ? plain : null;
}

/** How long an unknown client's event waits for its first request (browser or not) before it is recorded. */
export const USE_WAIT_MS = 10_000;

export class HandshakeEvents {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly d: HandshakeEventDeps) {}

  /** The gate's callback: never throws; the audit work runs in the background (see drain). */
  observe(hello: HelloObservation, outcome: HandshakeOutcome): void {
    const work = this.handle(hello, outcome).catch((err: unknown) =>
      this.d.log.error({ err }, 'could not record a TLS handshake event'),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Resolves once every event already observed is recorded (or has failed). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async handle(hello: HelloObservation, outcome: HandshakeOutcome): Promise<void> {
    if (!outcome.completed && hello.bytes === 0) return;
    const f = hello.fingerprints;
    const known = f !== null && this.d.allowlist.allows(f);
    if (outcome.completed && known) return;
    // A browser's connection (the phone app) is no news: browsers are many and meant to be here.
    if (outcome.completed && !known && outcome.socket) {
      const use = await connectionUse(outcome.socket, this.d.useWaitMs ?? USE_WAIT_MS);
      if (use === 'browser') return;
    }
    const srcIp = sourceIp(hello.srcIp);
    const base = {
      component: 'backend' as const,
      src_ip: srcIp,
      src_port: hello.srcPort,
      duration_ms: outcome.durationMs,
      ...fingerprintFacts(f),
    };
    const who = srcIp ?? 'unknown';
    if (!known) {
      const id = f ? `${f.ja4}|${f.ja3}` : `unparsed:${hello.problem ?? 'none'}`;
      if ((await this.once(`tls:unknown:${id}:${who}`)) && (await this.underCeilings(who))) {
        const why = f ? 'not in the allowlist' : `ClientHello not read: ${hello.problem ?? 'unknown'}`;
        await this.d.record({
          ...base,
          action: 'tls.fingerprint_unknown',
          result: outcome.completed ? 'success' : 'failure',
          severity: 'notice',
          proto: outcome.completed ? outcome.protocol : null,
          error_msg: outcome.completed ? why : `${why}; handshake failed`,
        });
      }
    }
    if (!outcome.completed && (await this.once(`tls:handshake:${who}`)) && (await this.underCeilings(who))) {
      await this.d.record({
        ...base,
        action: 'tls.handshake',
        result: 'failure',
        error_msg: handshakeFailureText(outcome.reason),
      });
    }
  }

  private once(key: string): Promise<boolean> {
    return this.d.kv.setIfAbsent(key, '1', this.d.windowMs ?? EVENT_WINDOW_MS);
  }

  /** Counts one more event against both ceilings; false once either is reached. */
  private async underCeilings(who: string): Promise<boolean> {
    const windowMs = this.d.windowMs ?? EVENT_WINDOW_MS;
    if (
      (await this.d.kv.incr(`tls:events:${who}`, windowMs)) > (this.d.maxPerSource ?? MAX_EVENTS_PER_SOURCE)
    )
      return false;
    return (await this.d.kv.incr('tls:events', windowMs)) <= (this.d.maxPerWindow ?? MAX_EVENTS_PER_WINDOW);
  }
}
