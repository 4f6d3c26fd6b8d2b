// The daemon's metrics (GET /v1/metrics, Prometheus text): read from the engine's own Status as it
// changes, never by touching the flows. Every state change is seen (the StatusStore pushes each one
// synchronously), so the moments of a tunnel are those the engine itself uses for its reports
// (engine/client-reports.ts): the knock sent (state `tls`), the pinned TLS connection established
// (the proxy handle's establishedAt, else the proxy started: state `openvpn`), OpenVPN up (state
// `openvpn` + timings.openvpn_ms). All on the monotonic clock. Counters are since the daemon started.
// prom-client is loaded on the first scrape (metrics-instruments.ts): until then what is observed
// waits in a short queue, replayed in order; a queue that fills up loads the instruments early, so
// a daemon nobody scrapes holds at most MAX_PENDING small closures.
import { CONNECTION_STATES, METRICS_CONTENT_TYPE, type Status } from '../../core/api/local.js';
import type { Instruments } from './metrics-instruments.js';

/** Observations kept before the instruments exist; more loads them (a few per connect, 1 per leak check). */
const MAX_PENDING = 256;

/** What the metrics read of the engine: its Status, and the live session's TLS proxy. */
export interface MetricsEngineView {
  readonly status: {
    get(): Status;
    subscribe(fn: (s: Status) => void): () => void;
  };
  activeSession(): { readonly tls?: { readonly establishedAt?: number | null } | null } | null;
}

/** How a connect (or a reconnect of a dropped tunnel) ended. */
type Outcome = 'success' | 'failure' | 'cancelled';

type Observation = (i: Instruments) => void;

export class DaemonMetrics {
  private instruments: Instruments | null = null;
  private loading: Promise<Instruments> | null = null;
  private pending: Observation[] = [];
  private readonly unsubscribe: () => void;
  private prev: Status;
  /** Set while a connect runs (from `bootstrapping` until connected or given up). */
  private connectStartedAt: number | null = null;
  /** Set while a dropped tunnel is being brought up again (connected → spa …). */
  private reconnecting = false;
  private knockAt: number | null = null;
  private openvpnAt: number | null = null;

  constructor(
    private readonly engine: MetricsEngineView,
    private readonly daemonVersion: string,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.prev = engine.status.get();
    this.unsubscribe = engine.status.subscribe((s) => {
      try {
        this.observe(s);
      } catch {
        // A metric must never disturb the engine; a value it could not take is not counted.
      }
    });
  }

  /** The exposition's content type (the instruments exist once render() has resolved). */
  get contentType(): string {
    return this.instruments?.registry.contentType ?? METRICS_CONTENT_TYPE;
  }

  /** The exposition now, with the state gauge read at this moment. */
  async render(): Promise<string> {
    const i = await this.load();
    const current = this.engine.status.get().state;
    for (const s of CONNECTION_STATES) i.state.set({ state: s }, s === current ? 1 : 0);
    return i.registry.metrics();
  }

  stop(): void {
    this.unsubscribe();
  }

  /** Loads prom-client and the instruments once, replaying what was observed meanwhile in order. */
  private load(): Promise<Instruments> {
    this.loading ??= import('./metrics-instruments.js').then(({ createInstruments }) => {
      const i = createInstruments(this.daemonVersion);
      for (const o of this.pending) o(i);
      this.pending = [];
      this.instruments = i;
      return i;
    });
    return this.loading;
  }

  private record(o: Observation): void {
    if (this.instruments) {
      o(this.instruments);
      return;
    }
    this.pending.push(o);
    if (this.pending.length >= MAX_PENDING) void this.load().catch(() => undefined);
  }

  private observe(next: Status): void {
    const at = this.clock();
    const prev = this.prev;
    this.prev = next;
    const check = next.network.leak_check;
    const before = prev.network.leak_check;
    if (check && (check.checks !== before?.checks || check.last_at !== before?.last_at)) {
      const result = check.leak ? 'leak' : 'pass';
      this.record((i) => i.leakChecks.inc({ result }));
    }
    if (prev.state === next.state) return;
    switch (next.state) {
      case 'bootstrapping':
        this.connectStartedAt = at;
        this.reconnecting = false;
        break;
      case 'spa':
        if (prev.state === 'connected') this.reconnecting = true;
        break;
      case 'tls':
        this.knockAt = at; // the knock just went out (a closed door knocks again: the last one counts)
        break;
      case 'openvpn':
        this.openvpnAt = at;
        break;
      case 'connected':
        this.tunnelUp(next, at);
        break;
      case 'error':
        this.attemptEnded('failure');
        break;
      case 'enrolled':
      case 'idle':
        this.attemptEnded('cancelled');
        break;
      default:
        break;
    }
  }

  private tunnelUp(s: Status, at: number): void {
    const openvpnMs = s.timings.openvpn_ms;
    const upAt = this.openvpnAt !== null && openvpnMs !== null ? this.openvpnAt + openvpnMs : at;
    const tlsAt = this.engine.activeSession()?.tls?.establishedAt ?? this.openvpnAt;
    if (tlsAt !== null && tlsAt !== undefined) {
      const knockAt = this.knockAt;
      if (knockAt !== null) this.record((i) => i.spaToTls.observe(Math.max(0, tlsAt - knockAt) / 1000));
      this.record((i) => i.tlsToTunnel.observe(Math.max(0, upAt - tlsAt) / 1000));
    }
    const startedAt = this.connectStartedAt;
    if (startedAt !== null) {
      this.record((i) => {
        i.connects.inc({ result: 'success' });
        i.connectSeconds.observe(Math.max(0, at - startedAt) / 1000);
      });
    } else if (this.reconnecting) {
      this.record((i) => i.reconnects.inc({ result: 'success' }));
    }
    this.connectStartedAt = null;
    this.reconnecting = false;
    this.knockAt = null;
    this.openvpnAt = null;
  }

  private attemptEnded(outcome: Exclude<Outcome, 'success'>): void {
    if (this.connectStartedAt !== null) this.record((i) => i.connects.inc({ result: outcome }));
    else if (this.reconnecting) this.record((i) => i.reconnects.inc({ result: outcome }));
    this.connectStartedAt = null;
    this.reconnecting = false;
    this.knockAt = null;
    this.openvpnAt = null;
  }
}
