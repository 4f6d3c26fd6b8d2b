// A session's traffic over all of its tunnels: every restart (restart.ts) brings a new one-connection
// proxy whose counters start at zero, so the bytes of earlier tunnels are carried over. The last
// activity is the proxy's, but only what follows the tunnel being up counts: the OpenVPN handshake of
// a restart is the daemon's own traffic, not the user's, and must not reset the idle auto-logout.
// All times are monotonic ms (performance.now()).
import type { TlsProxyHandle, TrafficCounters } from './types.js';

export class SessionTraffic {
  private tls: TlsProxyHandle | null = null;
  private bytesIn = 0;
  private bytesOut = 0;
  /** When the current tunnel was up, and the last activity known at that moment. */
  private upMs = 0;
  private carriedMs = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A tunnel is up (connect or restart): its counters continue the earlier tunnels'. */
  attach(tls: TlsProxyHandle): void {
    if (this.tls === tls) return;
    const upMs = this.now();
    if (this.tls) {
      const prev = this.tls.traffic();
      this.carriedMs = this.lastActivityMs();
      this.bytesIn += prev.bytesIn;
      this.bytesOut += prev.bytesOut;
    } else {
      this.carriedMs = upMs;
    }
    this.tls = tls;
    this.upMs = upMs;
  }

  /** Null before the first tunnel was up. */
  counters(): TrafficCounters | null {
    if (!this.tls) return null;
    const c = this.tls.traffic();
    return {
      bytesIn: this.bytesIn + c.bytesIn,
      bytesOut: this.bytesOut + c.bytesOut,
      lastActivityMs: c.lastActivityMs > this.upMs ? c.lastActivityMs : this.carriedMs,
    };
  }

  /** The idle auto-logout's signal (session-monitor.ts); the first connect counts as activity. */
  lastActivityMs(): number {
    return this.counters()?.lastActivityMs ?? this.now();
  }
}
