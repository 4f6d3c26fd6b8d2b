// The engine's one Status (core/api/local.ts), replaced as a whole on every change and pushed to
// subscribers (GET /v1/watch). Values only — nothing in a Status is secret.
import type { ConnectionState, Status } from '../../core/api/local.js';
import { LOCAL_API_VERSION } from '../../core/api/local.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';

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

export type StatusPatch = Partial<Omit<Status, 'v' | 'daemon_version' | 'updated_at' | 'timings'>> & {
  readonly timings?: Partial<Timings>;
};

export class StatusStore {
  private current: Status;
  private readonly listeners = new Set<(s: Status) => void>();

  constructor(daemonVersion: string) {
    this.current = {
      v: LOCAL_API_VERSION,
      state: 'idle',
      daemon_version: daemonVersion,
      device: null,
      session: null,
      otp_expires_at: null,
      timings: NO_TIMINGS,
      last_error: null,
      updated_at: new Date().toISOString(),
    };
  }

  get(): Status {
    return this.current;
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
    for (const fn of this.listeners) fn(this.current);
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

export function round(ms: number): number {
  return Math.round(ms);
}
