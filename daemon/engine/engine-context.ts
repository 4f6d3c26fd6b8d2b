// What the flows may ask of the engine. enroll.ts, login.ts, connect.ts, tunnel.ts, restart.ts and
// disconnect.ts receive an EngineContext, never the Engine: they see small named methods, not its
// fields (device record, session, secrets, plug points). Engine (engine.ts) implements it. The
// flows import this file, not engine.ts, so engine.ts may import a flow (disconnect.ts) without an
// import cycle.
import type { DeviceEventReport } from '../../core/api/device-events.js';
import type { ConnectionState, Status } from '../../core/api/local.js';
import type { ProcessPosture } from '../../core/api/posture.js';
import type { BackendClient, Signer } from '../../core/backendclient/backend-client.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';
import type { KeyStore } from '../keystore/keystore.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { CaptivePortalOptions } from './captive-portal.js';
import type { DeviceRecord } from './device-record.js';
import type { LeakProbes } from './leak-check.js';
import type { NetworkGuard } from './network-guard.js';
import type { ResolveAll } from './resolve.js';
import type { RestartPolicy } from './restart-policy.js';
import type { HeldSecrets, SecretKind } from './secrets.js';
import type { ActiveSession } from './session.js';
import type { EndReason } from './session-monitor.js';
import type { StatusPatch } from './status.js';
import type { OpenVpnStarter, Preflight, SpaSender, TlsProxyStarter, TrafficCounters } from './types.js';

/** `tracer`: a debugger attached to the daemon (daemon/hardening/tracer-watch.ts); it exits next. */
export type TeardownReason = EndReason | 'user' | 'failure' | 'component' | 'shutdown' | 'leak' | 'tracer';

/** Status fields besides the state: the state changes only through setState (state-machine.ts). */
export type StatusFields = Omit<StatusPatch, 'state'>;

/** The connect sequence's plug points (types.ts) and settings, defaults applied. */
export interface ConnectComponents {
  readonly spa: SpaSender;
  readonly tls: TlsProxyStarter;
  readonly openvpn: OpenVpnStarter;
  readonly preflight: Preflight;
  readonly resolveAll: ResolveAll;
  readonly restartPolicy: RestartPolicy;
  /**
   * The continuous leak checks (leak-check.ts): how often, toward which probe addresses. Null when
   * the daemon does not manage the network (EngineDeps.network absent).
   */
  readonly leakCheck: {
    readonly intervalS: number;
    readonly probeAddresses: readonly string[];
    readonly probes: LeakProbes;
  } | null;
  /** The captive portal probe before a connect; null: not probed. */
  readonly captivePortal: CaptivePortalOptions | null;
}

export interface EngineContext {
  readonly log: DaemonLog;

  // ── Status ──
  getStatus(): Status;
  /**
   * Moves to `state` (with `fields`) if state-machine.ts allows it from the current one; otherwise
   * logs both states as an error and throws VIW_E_INTERNAL, the state unchanged.
   */
  setState(state: ConnectionState, fields?: StatusFields): void;
  /** A connect step's state; once the session has ended (its teardown owns the state), cancelled(). */
  enterStep(s: ActiveSession, state: ConnectionState, fields?: StatusFields): void;
  /** Timings, session details and the like; never the state. */
  patchStatus(fields: StatusFields): void;
  /** The state when nothing is in progress: enrolled with a device record, else idle. */
  restingState(): ConnectionState;
  /** Records a failure on the Status (state `error` unless told otherwise) and returns it typed. */
  fail(err: unknown, state?: ConnectionState): ViworksError;
  /** Where the Status's `traffic` comes from while connected; null once the session ended. */
  watchTraffic(source: (() => TrafficCounters | null) | null): void;

  // ── Device ──
  currentRecord(): DeviceRecord | null;
  /** The device record; VIW_E_DEVICE_UNKNOWN without one, VIW_E_DEVICE_REVOKED if revoked. */
  requireRecord(): DeviceRecord;
  saveRecord(record: DeviceRecord): Promise<void>;
  /** The pinned backend client of the enrolled backend (one per device record). */
  backend(record?: DeviceRecord): BackendClient;
  /** Signs requests with the enrolled device key. */
  signer(record?: DeviceRecord): Signer;
  /** Where the device keys live (enrollment creates and deletes them, connect opens with them). */
  keyStore(): KeyStore;
  /** The daemon's process hardening (daemon/hardening/), sent with each login. */
  posture(): ProcessPosture;
  /**
   * A report for the backend's audit stream (client-events.ts): queued and sent in the background,
   * signed by the device key. Never throws, never waits: a connect never depends on it.
   */
  reportEvent(report: DeviceEventReport): void;
  /** The same, waiting for one attempt to send it (a leak, a tracer): true when it went out. */
  reportEventNow(report: DeviceEventReport): Promise<boolean>;
  /** What enrollment tells the backend about this client. */
  clientInfo(): {
    readonly platform: 'linux' | 'macos' | 'windows';
    readonly daemonVersion: string;
    readonly deviceName: string | null;
  };

  // ── Login secrets, memory only (secrets.ts) ──
  secret<K extends SecretKind>(kind: K): HeldSecrets[K] | null;
  holdSecret<K extends SecretKind>(kind: K, value: HeldSecrets[K]): void;
  dropSecret(kind: SecretKind): void;
  /** The one-time bootstrap grant with its access token, taken for a connect; null if none. */
  takeGrant(): { readonly accessToken: string; readonly grant: string } | null;
  wipeSecrets(): void;

  // ── Session ──
  activeSession(): ActiveSession | null;
  /** Starts the one session (connect.ts); VIW_E_STATE while another one exists. */
  beginSession(accessToken: string): ActiveSession;
  /** Forgets `s` as the active session (its teardown, disconnect.ts). */
  endSession(s: ActiveSession): void;
  components(): ConnectComponents;
  /** The kill switch and the pushed DNS (network-guard.ts). */
  network(): NetworkGuard;
}
