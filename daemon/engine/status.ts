// The engine's one Status (core/api/local.ts), replaced as a whole on every change and pushed to
// subscribers (GET /v1/watch). Values only — nothing in a Status is secret.
// `traffic` is the exception to "replaced on change": byte counters move with every packet, so it
// is read live from the tunnel on each get() (and on each pushed change) while connected, and a
// watcher that wants fresh counters between changes asks GET /v1/status.
import type { ConnectionState, Status } from '../../core/api/local.js';
import { LOCAL_API_VERSION, NETWORK_UNMANAGED } from '../../core/api/local.js';
import { POSTURE_UNHARDENED, type ProcessPosture } from '../../core/api/posture.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';
import type { TrafficCounters } from './types.js';

export type Timings = Status['timings'];
export type SessionInfo = NonNullable<Status['session']>;
export type DeviceInfo = NonNullable<Status['device']>;

export const NO_TIMINGS: Timings = {
  login_ms: null,
  bootstrap_ms: null,
  spa_ms: null,
  tls_handshake_ms: null,
  openvpn_ms: null,
  total_connect_ms: null,
};

export type StatusPatch = Partial<
  Omit<Status, 'v' | 'daemon_version' | 'updated_at' | 'timings' | 'traffic'>
> & {
  readonly timings?: Partial<Timings>;
};

/** What watchers may do with the Status: read it and subscribe; changes go through the engine. */
export type StatusView = Pick<StatusStore, 'get' | 'state' | 'subscribe'>;

export class StatusStore {
  private current: Status;
  private readonly listeners = new Set<(s: Status) => void>();
  private traffic: (() => TrafficCounters | null) | null = null;

  constructor(daemonVersion: string, posture: ProcessPosture = POSTURE_UNHARDENED) {
    this.current = {
      v: LOCAL_API_VERSION,
      state: 'idle',
      daemon_version: daemonVersion,
      device: null,
      session: null,
      otp_expires_at: null,
      timings: NO_TIMINGS,
      traffic: null,
      last_error: null,
      network: NETWORK_UNMANAGED,
      posture,
      updated_at: new Date().toISOString(),
    };
  }

  /** The current Status; `traffic` read live from the tunnel while connected, else null. */
  get(): Status {
    const counters = this.current.state === 'connected' ? (this.traffic?.() ?? null) : null;
    return counters ? Object.freeze({ ...this.current, traffic: trafficInfo(counters) }) : this.current;
  }

  /** Where `traffic` comes from while connected (connect.ts); null once the session ended. */
  watchTraffic(source: (() => TrafficCounters | null) | null): void {
    this.traffic = source;
  }

  get state(): ConnectionState {
    return this.current.state;
  }

  update(patch: StatusPatch): void {
    const { timings, ...rest } = patch;
    this.current = Object.freeze({
      ...this.current,
      ...rest,
      timings: timings ? { ...this.current.timings, ...timings } : this.current.timings,
      updated_at: new Date().toISOString(),
    });
    const status = this.get();
    for (const fn of this.listeners) fn(status);
  }

  subscribe(fn: (s: Status) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The `last_error` form of an error: code, message and hint, bounded. */
export function errorInfo(err: ViworksError): NonNullable<Status['last_error']> {
  return { code: err.code, message: err.message.slice(0, 256), hint: err.hint.slice(0, 256) };
}

/** The wire form of the counters: the monotonic last activity as the wall-clock time it was. */
export function trafficInfo(
  c: TrafficCounters,
  nowMs: number = performance.now(),
  wallMs: number = Date.now(),
): NonNullable<Status['traffic']> {
  return {
    bytes_in: c.bytesIn,
    bytes_out: c.bytesOut,
    last_activity_at: new Date(wallMs - Math.max(0, nowMs - c.lastActivityMs)).toISOString(),
  };
}

export function round(ms: number): number {
  return Math.round(ms);
}
