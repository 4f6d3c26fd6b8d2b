// The Prometheus instruments behind GET /v1/metrics, on prom-client. Kept in their own module so
// that metrics.ts can load it (and prom-client with it) on the first scrape only: a daemon nobody
// scrapes never carries the library (measured: ~1 MiB of heap and more of RSS, idle).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  CONNECT_BUCKETS,
  SPA_TO_TLS_BUCKETS,
  TLS_TO_TUNNEL_BUCKETS,
} from '../../core/metrics/slo-buckets.js';

export interface Instruments {
  readonly registry: Registry;
  readonly connects: Counter<'result'>;
  readonly reconnects: Counter<'result'>;
  readonly spaToTls: Histogram;
  readonly tlsToTunnel: Histogram;
  readonly connectSeconds: Histogram;
  readonly leakChecks: Counter<'result'>;
  readonly state: Gauge<'state'>;
}

export function createInstruments(daemonVersion: string): Instruments {
  const registry = new Registry();
  const registers = [registry];
  const instruments: Instruments = {
    registry,
    connects: new Counter({
      name: 'viworks_daemon_connects_total',
      help: 'Connects by outcome: success (connected), failure (error), cancelled (a disconnect first).',
      labelNames: ['result'],
      registers,
    }),
    reconnects: new Counter({
      name: 'viworks_daemon_reconnects_total',
      help: 'Dropped tunnels brought up again, by outcome (success, failure, cancelled).',
      labelNames: ['result'],
      registers,
    }),
    spaToTls: new Histogram({
      name: 'viworks_daemon_spa_to_tls_seconds',
      help: 'From the knock that opened the door to the pinned TLS connection established, per tunnel up.',
      buckets: [...SPA_TO_TLS_BUCKETS],
      registers,
    }),
    tlsToTunnel: new Histogram({
      name: 'viworks_daemon_tls_to_tunnel_seconds',
      help: 'From the pinned TLS connection established to OpenVPN up, per tunnel up.',
      buckets: [...TLS_TO_TUNNEL_BUCKETS],
      registers,
    }),
    connectSeconds: new Histogram({
      name: 'viworks_daemon_connect_seconds',
      help: 'A whole successful connect: bootstrap, preflight, knock, TLS, OpenVPN, DNS, first leak checks.',
      buckets: [...CONNECT_BUCKETS],
      registers,
    }),
    leakChecks: new Counter({
      name: 'viworks_daemon_leak_checks_total',
      help: 'Rounds of the leak checks, by result: pass, or leak (the session ends).',
      labelNames: ['result'],
      registers,
    }),
    state: new Gauge({
      name: 'viworks_daemon_state',
      help: 'The connection state, one-hot: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
    }),
  };
  new Gauge({
    name: 'viworks_daemon_build_info',
    help: 'Always 1; the daemon version as a label.',
    labelNames: ['version'],
    registers,
  }).set({ version: daemonVersion.slice(0, 64) }, 1);
  return instruments;
}
