// The daemon's metrics (GET /v1/metrics, Prometheus text): read from the engine's own Status as it
// changes, never by touching the flows. Every state change is seen (the StatusStore pushes each one
// synchronously), so the moments of a tunnel are those the engine itself uses for its reports
// (engine/client-reports.ts): the knock sent (state `tls`), the pinned TLS connection established
// (the proxy handle's establishedAt, else the proxy started: state `openvpn`), OpenVPN up (state
// `openvpn` + timings.openvpn_ms). All on the monotonic clock. Counters are since the daemon started.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CONNECTION_STATES, type Status } from '../../core/api/local.js';
import {
  CONNECT_BUCKETS,
  SPA_TO_TLS_BUCKETS,
  TLS_TO_TUNNEL_BUCKETS,
} from '../../core/metrics/slo-buckets.js';

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

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly connects: Counter<'result'>;
  private readonly reconnects: Counter<'result'>;
  private readonly spaToTls: Histogram;
  private readonly tlsToTunnel: Histogram;
  private readonly connectSeconds: Histogram;
  private readonly leakChecks: Counter<'result'>;
  private readonly state: Gauge<'state'>;
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
    daemonVersion: string,
    private readonly clock: () => number = () => performance.now(),
  ) {
    const registers = [this.registry];
    this.connects = new Counter({
      name: 'viworks_daemon_connects_total',
      help: 'Connects by outcome: success (connected), failure (error), cancelled (a disconnect first).',
      labelNames: ['result'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'viworks_daemon_reconnects_total',
      help: 'Dropped tunnels brought up again, by outcome (success, failure, cancelled).',
      labelNames: ['result'],
      registers,
    });
    this.spaToTls = new Histogram({
      name: 'viworks_daemon_spa_to_tls_seconds',
      help: 'From the knock that opened the door to the pinned TLS connection established, per tunnel up.',
      buckets: [...SPA_TO_TLS_BUCKETS],
      registers,
    });
    this.tlsToTunnel = new Histogram({
      name: 'viworks_daemon_tls_to_tunnel_seconds',
      help: 'From the pinned TLS connection established to OpenVPN up, per tunnel up.',
      buckets: [...TLS_TO_TUNNEL_BUCKETS],
      registers,
    });
    this.connectSeconds = new Histogram({
      name: 'viworks_daemon_connect_seconds',
      help: 'A whole successful connect: bootstrap, preflight, knock, TLS, OpenVPN, DNS, first leak checks.',
      buckets: [...CONNECT_BUCKETS],
      registers,
    });
    this.leakChecks = new Counter({
      name: 'viworks_daemon_leak_checks_total',
      help: 'Rounds of the leak checks, by result: pass, or leak (the session ends).',
      labelNames: ['result'],
      registers,
    });
    this.state = new Gauge({
      name: 'viworks_daemon_state',
      help: 'The connection state, one-hot: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
    });
    new Gauge({
      name: 'viworks_daemon_build_info',
      help: 'Always 1; the daemon version as a label.',
      labelNames: ['version'],
      registers,
    }).set({ version: daemonVersion.slice(0, 64) }, 1);
    this.prev = engine.status.get();
    this.unsubscribe = engine.status.subscribe((s) => {
      try {
        this.observe(s);
      } catch {
        // A metric must never disturb the engine; a value it could not take is not counted.
      }
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition now, with the state gauge read at this moment. */
  async render(): Promise<string> {
    const current = this.engine.status.get().state;
    for (const s of CONNECTION_STATES) this.state.set({ state: s }, s === current ? 1 : 0);
    return this.registry.metrics();
  }

  stop(): void {
    this.unsubscribe();
  }

  private observe(next: Status): void {
    const at = this.clock();
    const prev = this.prev;
    this.prev = next;
    const check = next.network.leak_check;
    const before = prev.network.leak_check;
    if (check && (check.checks !== before?.checks || check.last_at !== before?.last_at)) {
      this.leakChecks.inc({ result: check.leak ? 'leak' : 'pass' });
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
      if (this.knockAt !== null) this.spaToTls.observe(Math.max(0, tlsAt - this.knockAt) / 1000);
      this.tlsToTunnel.observe(Math.max(0, upAt - tlsAt) / 1000);
    }
    if (this.connectStartedAt !== null) {
      this.connects.inc({ result: 'success' });
      this.connectSeconds.observe(Math.max(0, at - this.connectStartedAt) / 1000);
    } else if (this.reconnecting) {
      this.reconnects.inc({ result: 'success' });
    }
    this.connectStartedAt = null;
    this.reconnecting = false;
    this.knockAt = null;
    this.openvpnAt = null;
  }

  private attemptEnded(outcome: Exclude<Outcome, 'success'>): void {
    if (this.connectStartedAt !== null) this.connects.inc({ result: outcome });
    else if (this.reconnecting) this.reconnects.inc({ result: outcome });
    this.connectStartedAt = null;
    this.reconnecting = false;
    this.knockAt = null;
    this.openvpnAt = null;
  }
}
