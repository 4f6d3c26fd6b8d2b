// The daemon's state machine (no transport: daemon/localapi is the HTTP edge over it). It holds
// the enrolled device record (persisted, non-secret), the login secrets (memory only,
// secrets.ts), and the live session (session.ts); every change is one Status pushed to watchers
// and every step one log event. Flows: enroll.ts, login.ts, connect.ts.
//
//   idle ──enroll──▶ enrolled ──login──▶ logging_in ──▶ otp_pending ──otp──▶ enrolled (token held)
//   enrolled ──connect──▶ bootstrapping ▶ preflight ▶ spa ▶ tls ▶ openvpn ▶ connected
//   any connect state ──disconnect / revoked / idle / failure──▶ disconnecting ▶ enrolled | error
import type { Status } from '../../core/api/local.js';
import { type ConnectionState, LOCAL_API_VERSION } from '../../core/api/local.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { BackendClient } from '../backend/backend-client.js';
import type { Signer } from '../backend/https.js';
import type { KeyStore } from '../keystore/keystore.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { deviceSigner } from './device-keys.js';
import {
  type DeviceRecord,
  deviceInfo,
  ensureStateDir,
  loadDeviceRecord,
  saveDeviceRecord,
} from './device-record.js';
import { asViworksError } from './errors.js';
import type { ResolveAll } from './resolve.js';
import type { RestartPolicy } from './restart-policy.js';
import { SecretVault } from './secrets.js';
import type { ActiveSession } from './session.js';
import type { EndReason } from './session-monitor.js';
import { type DeviceInfo, errorInfo, StatusStore } from './status.js';
import type { OpenVpnStarter, Preflight, PreflightCheck, SpaSender, TlsProxyStarter } from './types.js';

export interface EngineDeps {
  readonly stateDir: string;
  readonly keyStore: KeyStore;
  readonly log: DaemonLog;
  readonly spa: SpaSender;
  readonly tls: TlsProxyStarter;
  readonly openvpn: OpenVpnStarter;
  readonly preflight: Preflight;
  readonly daemonVersion: string;
  readonly platform: 'linux' | 'macos' | 'windows';
  /**
   * Host → its IPv4 addresses: the gateway FQDN (SPA and the TLS proxy use the first) and the
   * backend's name (bypass routes). Default: the system resolver. Always bounded by a timeout.
   */
  readonly resolveAll?: ResolveAll;
  /** OpenVPN restart budget and backoff (restart.ts); default 3 retries at ~1 s, 2 s, 4 s. */
  readonly restartPolicy?: RestartPolicy;
}

export type TeardownReason = EndReason | 'user' | 'failure' | 'component' | 'shutdown';

export class Engine {
  readonly status: StatusStore;
  readonly vault: SecretVault;
  record: DeviceRecord | null = null;
  session: ActiveSession | null = null;
  /** Network time of the current login (POST /auth/login + /auth/verify), for timings.login_ms. */
  loginMs = 0;
  private busy: string | null = null;
  private backendFor: { record: DeviceRecord; client: BackendClient } | null = null;

  constructor(readonly deps: EngineDeps) {
    this.status = new StatusStore(deps.daemonVersion);
    this.vault = new SecretVault((what) => this.expired(what));
    deps.log.setStateSource(() => this.status.state);
  }

  get log(): DaemonLog {
    return this.deps.log;
  }

  async init(): Promise<void> {
    await ensureStateDir(this.deps.stateDir);
    this.record = await loadDeviceRecord(this.deps.stateDir);
    this.status.update({
      state: this.record ? 'enrolled' : 'idle',
      device: this.record ? deviceInfo(this.record) : null,
    });
    this.log.event('daemon.start', 'ok', {
      version: this.deps.daemonVersion,
      key_store: this.deps.keyStore.name,
      enrolled: this.record !== null,
    });
  }

  getStatus(): Status {
    return this.status.get();
  }

  device(): DeviceInfo {
    if (!this.record) throw new ViworksError('VIW_E_DEVICE_UNKNOWN');
    return deviceInfo(this.record);
  }

  requireRecord(): DeviceRecord {
    if (!this.record) throw new ViworksError('VIW_E_DEVICE_UNKNOWN');
    if (this.record.status === 'revoked') throw new ViworksError('VIW_E_DEVICE_REVOKED');
    return this.record;
  }

  backend(record: DeviceRecord = this.requireRecord()): BackendClient {
    if (this.backendFor?.record !== record) {
      this.backendFor = {
        record,
        client: new BackendClient({
          url: record.backend_url,
          caPem: record.ca_pem,
          pins: record.backend_pins,
        }),
      };
    }
    return this.backendFor.client;
  }

  signer(record: DeviceRecord = this.requireRecord()): Signer {
    return deviceSigner(this.deps.keyStore, record.device_id);
  }

  async saveRecord(record: DeviceRecord): Promise<void> {
    await saveDeviceRecord(this.deps.stateDir, record);
    this.record = record;
    this.status.update({ device: deviceInfo(record) });
  }

  setState(state: ConnectionState, extra: Parameters<StatusStore['update']>[0] = {}): void {
    this.status.update({ ...extra, state });
  }

  /** The state when nothing is in progress. */
  restingState(): ConnectionState {
    return this.record ? 'enrolled' : 'idle';
  }

  /** Records a failure on the Status (state `error` unless told otherwise) and returns it typed. */
  fail(err: unknown, state: ConnectionState = 'error'): ViworksError {
    const v = asViworksError(err, this.log);
    this.status.update({
      state,
      last_error: errorInfo(v),
      otp_expires_at: state === 'otp_pending' ? this.status.get().otp_expires_at : null,
    });
    return v;
  }

  /** Runs one state-changing operation at a time; a second concurrent one is VIW_E_STATE. */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) {
      throw new ViworksError('VIW_E_STATE', { details: [`${this.busy} is in progress`] });
    }
    this.busy = name;
    try {
      return await fn();
    } finally {
      this.busy = null;
    }
  }

  /** Ends a session once: stop components, tell the backend, wipe every secret, settle the state. */
  teardown(s: ActiveSession, reason: TeardownReason, err: ViworksError | null): Promise<void> {
    if (s.teardown) return s.teardown;
    s.closed = true;
    s.abort.abort();
    s.teardown = (async () => {
      this.setState('disconnecting');
      await s.stopComponents();
      if (s.sessionId && reason !== 'revoked') {
        try {
          await this.backend().disconnect(s.accessToken, s.sessionId);
        } catch (e) {
          this.log.warn(
            `session.disconnect not confirmed by the backend (${asViworksError(e, this.log).code})`,
          );
        }
      }
      if (this.session === s) this.session = null;
      s.payload = null;
      this.vault.wipe();
      this.log.event('session.end', 'ok', { reason, code: err?.code ?? null });
      this.status.watchTraffic(null);
      this.status.update({
        state: err ? 'error' : this.restingState(),
        session: null,
        otp_expires_at: null,
        last_error: err ? errorInfo(err) : null,
      });
    })();
    return s.teardown;
  }

  /** POST /v1/disconnect: ends the session or abandons a pending login; always wipes secrets. */
  async disconnect(): Promise<{ v: typeof LOCAL_API_VERSION; state: ConnectionState }> {
    if (this.session) {
      await this.teardown(this.session, 'user', null);
    } else {
      this.vault.wipe();
      this.setState(this.restingState(), { otp_expires_at: null, last_error: null });
      this.log.event('auth.logout', 'ok');
    }
    return { v: LOCAL_API_VERSION, state: this.status.state };
  }

  async runPreflight(): Promise<PreflightCheck[]> {
    const record = this.record && this.record.status !== 'revoked' ? this.record : null;
    return this.deps.preflight.run({
      health: record ? () => this.backend(record).health() : null,
      payload: null,
      tunnelUp: this.status.state === 'connected',
    });
  }

  async shutdown(): Promise<void> {
    if (this.session) await this.teardown(this.session, 'shutdown', null);
    this.vault.wipe();
    this.log.event('daemon.stop', 'ok');
  }

  private expired(what: string): void {
    this.vault.wipe();
    this.log.event('auth.expired', 'ok', { what: what.replace(/\s+/g, '_') });
    if (!this.session && !this.busy) {
      this.setState(this.restingState(), { otp_expires_at: null });
    }
  }
}
