// Unknown clients at a gateway's front door (docs/detections.md#tls-fingerprints): a gateway
// `tls.handshake` whose ClientHello fingerprints (joined from the node's capture, core's hello-join.ts)
// are both outside the gateways' allowlist gets a `tls.fingerprint_unknown` event beside it
// (component gateway), as the backend's listener records one for its own clients
// (handshake-events.ts): result success if the handshake completed, failure if not. The gateways'
// allowlist holds the daemon's pinned proxy, measured at start (own-clients.ts), and the configured
// fingerprints.
//
// Bounded like the listener's: once per fingerprint and source per window, at most
// MAX_EVENTS_PER_SOURCE per source and MAX_EVENTS_PER_WINDOW in all per window and gateway. The
// counters live in this process (one object per gateway in the ingest's state): the ingest's
// compare-and-set on the cursors already keeps two backend instances from ingesting one page twice.
import { BoundedMap } from '../../../core/gateway/dataplane/text.js';
import type { FingerprintFacts } from '../../../core/tls/fingerprint-facts.js';
import type { ServiceAuditFacts } from '../audit/service.js';
import type { FingerprintAllowlist } from './allowlist.js';
import { EVENT_WINDOW_MS, MAX_EVENTS_PER_SOURCE, MAX_EVENTS_PER_WINDOW } from './handshake-events.js';

/** Fingerprint/source pairs and sources remembered per gateway (the oldest is forgotten first). */
const REMEMBERED = 10_000;

export interface GatewayUnknownLimits {
  readonly windowMs?: number;
  readonly maxPerSource?: number;
  readonly maxPerWindow?: number;
}

interface Window {
  until: number;
  count: number;
}

export class GatewayUnknownClients {
  private readonly reported = new BoundedMap<string, number>(REMEMBERED);
  private readonly perSource = new BoundedMap<string, Window>(REMEMBERED);
  private readonly all: Window = { until: 0, count: 0 };
  private readonly windowMs: number;
  private readonly maxPerSource: number;
  private readonly maxPerWindow: number;

  constructor(limits: GatewayUnknownLimits = {}) {
    this.windowMs = limits.windowMs ?? EVENT_WINDOW_MS;
    this.maxPerSource = limits.maxPerSource ?? MAX_EVENTS_PER_SOURCE;
    this.maxPerWindow = limits.maxPerWindow ?? MAX_EVENTS_PER_WINDOW;
  }

  /**
   * The event to record beside `handshake` (a gateway tls.handshake), or null: its fingerprints are
   * unknown, allowed, or this client was reported within the window or is over a ceiling.
   */
  unknownEvent(
    handshake: ServiceAuditFacts,
    fingerprints: FingerprintFacts | null,
    allowlist: Pick<FingerprintAllowlist, 'allows'>,
    nowMs: number,
  ): ServiceAuditFacts | null {
    const { tls_ja3: ja3, tls_ja4: ja4 } = fingerprints ?? { tls_ja3: null, tls_ja4: null };
    if (handshake.action !== 'tls.handshake' || ja3 === null || ja4 === null) return null;
    if (allowlist.allows({ ja3, ja4 })) return null;
    const who = handshake.src_ip ?? 'unknown';
    const key = `${ja4}|${ja3}|${who}`;
    if ((this.reported.get(key) ?? 0) > nowMs) return null;
    this.reported.set(key, nowMs + this.windowMs);
    const source = this.perSource.get(who) ?? { until: 0, count: 0 };
    this.perSource.set(who, source);
    if (!this.under(source, nowMs, this.maxPerSource) || !this.under(this.all, nowMs, this.maxPerWindow))
      return null;
    const completed = handshake.result === 'success';
    return {
      ...handshake,
      action: 'tls.fingerprint_unknown',
      result: completed ? 'success' : 'failure',
      severity: 'notice',
      tls_ja3: ja3,
      tls_ja4: ja4,
      error_msg: completed ? 'not in the allowlist' : 'not in the allowlist; handshake failed',
    };
  }

  /** Counts one event in `w` (starting a new window once it ended); false past the ceiling. */
  private under(w: Window, nowMs: number, max: number): boolean {
    if (w.until <= nowMs) {
      w.until = nowMs + this.windowMs;
      w.count = 0;
    }
    w.count++;
    return w.count <= max;
  }
}
