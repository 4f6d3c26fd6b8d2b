// The daemon's state machine (no transport: daemon/localapi is the HTTP edge over it). It holds
// the enrolled device record (persisted, non-secret), the login secrets (memory only,
// secrets.ts), and the live session (session.ts); every change is one Status pushed to watchers
// and every step one log event. Which state may follow which: state-machine.ts, checked in
// setState. The flows (enroll.ts, login.ts, connect.ts, disconnect.ts) see the engine only through
// EngineContext (engine-context.ts): its fields stay private here.
//
//   idle ──enroll──▶ enrolled ──login──▶ logging_in ──▶ otp_pending ──otp──▶ enrolled (token held)
//   enrolled ──connect──▶ bootstrapping ▶ preflight ▶ spa ▶ tls ▶ openvpn ▶ connected
//   any connect state ──disconnect / revoked / idle / failure──▶ disconnecting ▶ enrolled | error
import type { DeviceEventReport } from '../../core/api/device-events.js';
import type {
  ConnectionState,
  KillSwitchInfo,
  KillSwitchRequest,
  LOCAL_API_VERSION,
  Status,
} from '../../core/api/local.js';
import type { ProcessPosture } from '../../core/api/posture.js';
import type { BackendClient, Signer } from '../../core/backendclient/backend-client.js';
import { pinnedBackendClient } from '../../core/backendclient/pinned-transport.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { kernelSourceAddress } from '../datapath/source-address.js';
import type { KeyStore } from '../keystore/keystore.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { CaptivePortalOptions } from './captive-portal.js';
import { ClientEventReporter, type ClientEventReporterOptions } from './client-events.js';
import { pinMismatchReport } from './client-reports.js';
import { deviceSigner } from './device-keys.js';
import {
  type DeviceRecord,
  deviceInfo,
  ensureStateDir,
  loadDeviceRecord,
  saveDeviceRecord,
} from './device-record.js';
import { type DiagnosticsProbes, diagnostics } from './diagnostics.js';
import { disconnect, teardown } from './disconnect.js';
import type { ConnectComponents, EngineContext, StatusFields } from './engine-context.js';
import { asViworksError } from './errors.js';
import { DEFAULT_PROBE_ADDRESSES, type LeakProbes } from './leak-check.js';
import { type DnsDriver, type KillSwitchDriver, NetworkGuard, type StandbyTargets } from './network-guard.js';
import {
  backendBypassAddresses,
  backendPort,
  type ResolveAll,
  resolveWithTimeout,
  systemResolveAll,
} from './resolve.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';
import { type HeldSecrets, type SecretKind, SecretVault } from './secrets.js';
import { ActiveSession, cancelled } from './session.js';
import { canTransition } from './state-machine.js';
import { type DeviceInfo, errorInfo, StatusStore, type StatusView } from './status.js';
import type {
  OpenVpnStarter,
  Preflight,
  PreflightCheck,
  SpaSender,
  TlsProxyStarter,
  TrafficCounters,
} from './types.js';

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
  /** The name this desktop proposes at enrollment (its host name); none: the backend keeps none. */
  readonly deviceName?: string;
  /**
   * Host → its IPv4 addresses: the gateway FQDN (SPA and the TLS proxy use the first) and the
   * backend's name (bypass routes). Default: the system resolver. Always bounded by a timeout.
   */
  readonly resolveAll?: ResolveAll;
  /** OpenVPN restart budget and backoff (restart.ts); default 3 retries at ~1 s, 2 s, 4 s. */
  readonly restartPolicy?: RestartPolicy;
  /** Where GET /v1/diagnostics reads the machine (diagnostics.ts); default the real one. */
  readonly diagnostics?: DiagnosticsProbes;
  /**
   * The kill switch, the pushed DNS and the leak checks (network-guard.ts, leak-check.ts). Absent:
   * not managed by this daemon (mode off; a policy requiring the switch is refused).
   */
  readonly network?: NetworkProtectionDeps;
  /** The process hardening viworksd applied at start (daemon/hardening/); default: none. */
  readonly posture?: ProcessPosture;
  /** The reports' queue and retry backoff (client-events.ts); default 64 reports, 5 s → 5 min. */
  readonly clientEvents?: Pick<ClientEventReporterOptions, 'maxQueued' | 'retryBaseMs' | 'retryMaxMs'>;
}

export interface NetworkProtectionDeps {
  /** Null where nft cannot be used: modes session/always then fail closed (VIW_E_KILL_SWITCH). */
  readonly killSwitch: KillSwitchDriver | null;
  readonly dns: DnsDriver | null;
  /** The tunnel interface's fixed name (datapath/openvpn/config.ts TUNNEL_INTERFACE). */
  readonly tunnelInterface: string;
  /** Default 30 s. */
  readonly leakCheckIntervalS?: number;
  readonly probeAddresses?: readonly string[];
  /** Default: the kernel's routing answer (datapath/source-address.ts). */
  readonly sourceAddress?: (ip: string) => Promise<string | null>;
  /** Null: no captive portal probe. */
  readonly captivePortal: CaptivePortalOptions | null;
}

export class Engine implements EngineContext {
  private readonly store: StatusStore;
  private readonly vault: SecretVault;
  private record: DeviceRecord | null = null;
  private session: ActiveSession | null = null;
  private busy: string | null = null;
  private backendFor: { record: DeviceRecord; client: BackendClient } | null = null;
  /** The gateway of the current or last session, for diagnostics (memory only). */
  private gatewayFqdn: string | null = null;
  private readonly net: NetworkGuard;
  /** Reports for the backend's audit stream (POST /device/events), queued while it is unreachable. */
  readonly clientEvents: ClientEventReporter;
  /** Backend keys already reported as matching neither pin (once each per run, bounded). */
  private readonly reportedBackendKeys = new Set<string>();

  constructor(private readonly deps: EngineDeps) {
    this.store = new StatusStore(deps.daemonVersion, deps.posture);
    this.vault = new SecretVault((what) => this.expired(what));
    deps.log.setStateSource(() => this.store.state);
    const n = deps.network;
    this.net = new NetworkGuard({
      stateDir: deps.stateDir,
      killSwitch: n?.killSwitch ?? null,
      dns: n?.dns ?? null,
      tunnelInterface: n?.tunnelInterface ?? 'tun0',
      log: deps.log,
      unmanaged: !n,
      publish: (network) => this.store.update({ network }),
    });
    this.clientEvents = new ClientEventReporter({
      ...deps.clientEvents,
      log: deps.log,
      send: async (reports) => {
        const record = this.requireRecord();
        await this.backend(record).reportDeviceEvents(reports, this.signer(record));
      },
    });
  }

  get log(): DaemonLog {
    return this.deps.log;
  }

  /** The Status for watchers (GET /v1/watch): read and subscribe only. */
  get status(): StatusView {
    return this.store;
  }

  async init(): Promise<void> {
    await ensureStateDir(this.deps.stateDir);
    this.record = await loadDeviceRecord(this.deps.stateDir);
    this.setState(this.restingState(), { device: this.record ? deviceInfo(this.record) : null });
    await this.net.init(() => this.standbyTargets());
    this.log.event('daemon.start', 'ok', {
      version: this.deps.daemonVersion,
      key_store: this.deps.keyStore.name,
      enrolled: this.record !== null,
    });
  }

  // ── Status and state ────────────────────────────────────────────────────────────────────────

  getStatus(): Status {
    return this.store.get();
  }

  /**
   * An illegal transition is a bug: it is logged (both states) and refused with VIW_E_INTERNAL
   * rather than VIW_E_STATE, because the flows read VIW_E_STATE as "the session ended" (restart.ts
   * then reports an expired session, connect.ts a cancelled one) and a client as "not now, try
   * again", while this is neither. Throwing (not just ignoring) keeps callers correct: a flow whose
   * state was refused must not go on as if it held that state (start OpenVPN during a teardown);
   * the error takes its usual failure path instead (connect → teardown, login → error).
   */
  setState(state: ConnectionState, fields: StatusFields = {}): void {
    const from = this.store.state;
    if (!canTransition(from, state)) {
      this.log.error(`illegal state transition ${from} → ${state} refused`);
      throw new ViworksError('VIW_E_INTERNAL', { details: [`illegal state transition ${from} → ${state}`] });
    }
    this.store.update({ ...fields, state });
  }

  enterStep(s: ActiveSession, state: ConnectionState, fields?: StatusFields): void {
    if (s.closed) throw cancelled();
    this.setState(state, fields);
  }

  patchStatus(fields: StatusFields): void {
    if (fields.session?.gateway_fqdn) this.gatewayFqdn = fields.session.gateway_fqdn;
    this.store.update(fields);
  }

  restingState(): ConnectionState {
    return this.record ? 'enrolled' : 'idle';
  }

  fail(err: unknown, state: ConnectionState = 'error'): ViworksError {
    const v = asViworksError(err, this.log);
    this.settle(state, {
      last_error: errorInfo(v),
      otp_expires_at: state === 'otp_pending' ? this.store.get().otp_expires_at : null,
    });
    return v;
  }

  watchTraffic(source: (() => TrafficCounters | null) | null): void {
    this.store.watchTraffic(source);
  }

  // ── Device ──────────────────────────────────────────────────────────────────────────────────

  device(): DeviceInfo {
    if (!this.record) throw new ViworksError('VIW_E_DEVICE_UNKNOWN');
    return deviceInfo(this.record);
  }

  currentRecord(): DeviceRecord | null {
    return this.record;
  }

  requireRecord(): DeviceRecord {
    if (!this.record) throw new ViworksError('VIW_E_DEVICE_UNKNOWN');
    if (this.record.status === 'revoked') throw new ViworksError('VIW_E_DEVICE_REVOKED');
    return this.record;
  }

  async saveRecord(record: DeviceRecord): Promise<void> {
    await saveDeviceRecord(this.deps.stateDir, record);
    this.record = record;
    this.store.update({ device: deviceInfo(record) });
  }

  backend(record: DeviceRecord = this.requireRecord()): BackendClient {
    if (this.backendFor?.record !== record) {
      this.backendFor = {
        record,
        client: pinnedBackendClient(
          { url: record.backend_url, caPem: record.ca_pem, pins: record.backend_pins },
          { onPinMismatch: (pin) => this.backendKeyMismatch(pin) },
        ),
      };
    }
    return this.backendFor.client;
  }

  signer(record: DeviceRecord = this.requireRecord()): Signer {
    return deviceSigner(this.deps.keyStore, record.device_id);
  }

  keyStore(): KeyStore {
    return this.deps.keyStore;
  }

  posture(): ProcessPosture {
    return this.store.get().posture;
  }

  reportEvent(report: DeviceEventReport): void {
    this.clientEvents.report(report);
  }

  reportEventNow(report: DeviceEventReport): Promise<boolean> {
    return this.clientEvents.reportNow(report);
  }

  /**
   * The backend presented a key matching neither pin: reported once per key and run (the report
   * itself goes to the same backend, so it waits in the queue until the right key answers again).
   */
  private backendKeyMismatch(pin: string): void {
    this.log.event('backend.pin_mismatch', 'failed');
    if (this.reportedBackendKeys.has(pin) || this.reportedBackendKeys.size >= 8) return;
    this.reportedBackendKeys.add(pin);
    this.reportEvent(pinMismatchReport(this.session?.sessionId ?? null, 'backend', pin, null));
  }

  clientInfo(): ReturnType<EngineContext['clientInfo']> {
    return {
      platform: this.deps.platform,
      daemonVersion: this.deps.daemonVersion,
      deviceName: this.deps.deviceName ?? null,
    };
  }

  // ── Login secrets ───────────────────────────────────────────────────────────────────────────

  secret<K extends SecretKind>(kind: K): HeldSecrets[K] | null {
    return this.vault.get(kind);
  }

  holdSecret<K extends SecretKind>(kind: K, value: HeldSecrets[K]): void {
    this.vault.hold(kind, value);
  }

  dropSecret(kind: SecretKind): void {
    this.vault.drop(kind);
  }

  takeGrant(): { readonly accessToken: string; readonly grant: string } | null {
    return this.vault.takeGrant();
  }

  wipeSecrets(): void {
    this.vault.wipe();
  }

  // ── Session ─────────────────────────────────────────────────────────────────────────────────

  activeSession(): ActiveSession | null {
    return this.session;
  }

  beginSession(accessToken: string): ActiveSession {
    if (this.session) throw new ViworksError('VIW_E_STATE', { details: ['already connected or connecting'] });
    this.session = new ActiveSession(accessToken);
    return this.session;
  }

  endSession(s: ActiveSession): void {
    if (this.session === s) this.session = null;
  }

  components(): ConnectComponents {
    const { spa, tls, openvpn, preflight } = this.deps;
    const n = this.deps.network;
    const probes: LeakProbes = {
      serversInUse: () => this.net.serversInUse(),
      sourceAddress: n?.sourceAddress ?? kernelSourceAddress,
      killSwitchInstalled: () => this.net.switchInstalled(),
    };
    return {
      spa,
      tls,
      openvpn,
      preflight,
      resolveAll: this.deps.resolveAll ?? systemResolveAll,
      restartPolicy: this.deps.restartPolicy ?? DEFAULT_RESTART_POLICY,
      leakCheck: n
        ? {
            intervalS: n.leakCheckIntervalS ?? 30,
            probeAddresses: n.probeAddresses ?? DEFAULT_PROBE_ADDRESSES,
            probes,
          }
        : null,
      captivePortal: n?.captivePortal ?? null,
    };
  }

  network(): NetworkGuard {
    return this.net;
  }

  /** GET /v1/kill-switch. */
  killSwitchInfo(): KillSwitchInfo {
    return this.net.info();
  }

  /** POST /v1/kill-switch: takes effect now (mid-session too) and persists. */
  setKillSwitch(req: KillSwitchRequest): Promise<KillSwitchInfo> {
    return this.net.setMode(req);
  }

  /** What the `always` switch lets out between sessions: the enrolled backend. */
  private async standbyTargets(): Promise<StandbyTargets | null> {
    const record = this.record;
    if (!record) return null;
    const resolve = this.deps.resolveAll ?? systemResolveAll;
    // The same addresses and port the session's switch lets out (connect.ts).
    return {
      backendAddresses: await backendBypassAddresses(record.backend_url, resolve),
      backendPort: backendPort(record.backend_url),
      ...(await this.captiveProbeTarget(resolve)),
    };
  }

  /** The captive portal probe's addresses and port (resolved now, while name resolution works). */
  private async captiveProbeTarget(resolve: ResolveAll): Promise<Pick<StandbyTargets, 'captiveProbe'>> {
    const probe = this.deps.network?.captivePortal;
    if (!probe) return {};
    try {
      const u = new URL(probe.url);
      const addresses = await resolveWithTimeout(resolve, u.hostname, 'captive_probe', 3000);
      return { captiveProbe: { addresses: addresses.slice(0, 4), port: Number(u.port || 80) } };
    } catch {
      this.log.warn('killswitch: the captive portal probe host does not resolve; portals go undetected');
      return {};
    }
  }

  // ── Local API entry points that are not flows of their own ──────────────────────────────────

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

  /** POST /v1/disconnect (disconnect.ts). */
  disconnect(): Promise<{ v: typeof LOCAL_API_VERSION; state: ConnectionState }> {
    return disconnect(this);
  }

  async runPreflight(): Promise<PreflightCheck[]> {
    const record = this.record && this.record.status !== 'revoked' ? this.record : null;
    return this.deps.preflight.run({
      health: record ? () => this.backend(record).health() : null,
      payload: null,
      tunnelUp: this.store.state === 'connected',
    });
  }

  /** GET /v1/diagnostics (diagnostics.ts): read-only, runs beside any operation. */
  runDiagnostics(includeAddresses: boolean): ReturnType<typeof diagnostics> {
    return diagnostics(this, this.deps.diagnostics ?? {}, {
      includeAddresses,
      gatewayFqdn: this.gatewayFqdn,
      daemonVersion: this.deps.daemonVersion,
    });
  }

  /**
   * A debugger attached to the daemon (daemon/hardening/tracer-watch.ts; viworksd exits next): the
   * session ends (reason `tracer`, a generic VIW_E_INTERNAL on the Status), then the backend's audit
   * hears of it (client.debugger_attached), signed by the device key. Best effort, never throws.
   */
  async tracerAttached(detail: string): Promise<void> {
    this.store.update({ posture: { ...this.store.get().posture, tracer: true } });
    const s = this.session;
    const sessionId = s?.sessionId ?? null;
    if (s) await teardown(this, s, 'tracer', new ViworksError('VIW_E_INTERNAL'));
    const record = this.record;
    if (!record || record.status === 'revoked') return;
    const sent = await this.reportEventNow({
      type: 'debugger_attached',
      session_id: sessionId,
      detected_at: new Date().toISOString(),
      reason: 'tracer_attached',
      detail,
    });
    if (sent) this.log.event('tracer.reported', 'ok');
    else this.log.warn('tracer: not reported to the backend');
  }

  async shutdown(): Promise<void> {
    this.clientEvents.stop();
    if (this.session) await teardown(this, this.session, 'shutdown', null);
    await this.net.shutdown().catch((err: unknown) => {
      this.log.error(`network protection: shutdown failed (${asViworksError(err, this.log).code})`);
    });
    this.vault.wipe();
    this.log.event('daemon.stop', 'ok');
  }

  /** setState where nothing may throw (a failure being reported, a timer): a refusal is logged only. */
  private settle(state: ConnectionState, fields: StatusFields): void {
    try {
      this.setState(state, fields);
    } catch {
      // Refused and logged by setState; the caller's own outcome still stands.
    }
  }

  private expired(what: string): void {
    this.vault.wipe();
    this.log.event('auth.expired', 'ok', { what: what.replace(/\s+/g, '_') });
    if (!this.session && !this.busy) {
      this.settle(this.restingState(), { otp_expires_at: null });
    }
  }
}
