// The typed client of the daemon's local API (core/api/local.ts): one method per LOCAL_ROUTES
// entry, every answer validated against its schema, every failure a ViworksError with a stable
// code. Front-ends (CLI, TUI, GUI) use only this — never raw HTTP.
//
//   const client = new LocalClient();             // $VIWORKSD_SOCKET or /run/viworks/viworksd.sock
//   await client.login({ password });             // → otp_pending
//   await client.otp({ otp_code });               // → enrolled, token held by the daemon
//   await client.connect();                       // resolves when connected (or throws the code)
//   for await (const s of client.watch()) …       // full Status first, then every change
import type { Static, TSchema } from 'typebox';
import {
  ActionResponseSchema,
  DeviceInfoSchema,
  DiagnosticsResponseSchema,
  type EnrollConfirmRequestSchema,
  type EnrollRequestSchema,
  EnrollResponseSchema,
  type KillSwitchInfo,
  KillSwitchInfoSchema,
  type KillSwitchRequest,
  LOCAL_ROUTES,
  type LoginRequestSchema,
  LoginResponseSchema,
  LogLineSchema,
  METRICS_CONTENT_TYPE,
  type OtpRequestSchema,
  OtpResponseSchema,
  type PasswordRequestSchema,
  PreflightResponseSchema,
  type Status,
  StatusSchema,
  VersionResponseSchema,
} from '../api/local.js';
import { ViworksError } from '../errors/viworks-error.js';
import { cachedValidator } from '../schema/strict.js';
import { resolveSocketPath } from './paths.js';
import { ndjsonLines, UnixSocketHttp, type VersionMismatch } from './transport.js';
import { packageVersion } from './version.js';

export type DeviceInfo = Static<typeof DeviceInfoSchema>;
export type EnrollRequest = Static<typeof EnrollRequestSchema>;
export type EnrollResponse = Static<typeof EnrollResponseSchema>;
export type EnrollConfirmRequest = Static<typeof EnrollConfirmRequestSchema>;
export type LoginRequest = Static<typeof LoginRequestSchema>;
export type LoginResponse = Static<typeof LoginResponseSchema>;
export type OtpRequest = Static<typeof OtpRequestSchema>;
export type OtpResponse = Static<typeof OtpResponseSchema>;
export type PasswordRequest = Static<typeof PasswordRequestSchema>;
export type ActionResponse = Static<typeof ActionResponseSchema>;
export type PreflightResponse = Static<typeof PreflightResponseSchema>;
export type DiagnosticsResponse = Static<typeof DiagnosticsResponseSchema>;
export type LogLine = Static<typeof LogLineSchema>;
export type VersionResponse = Static<typeof VersionResponseSchema>;
export type { Status, VersionMismatch };

export interface LocalClientOptions {
  /** Default: `$VIWORKSD_SOCKET`, else /run/viworks/viworksd.sock. */
  readonly socketPath?: string;
  /** Default 30 s for quick calls; enroll 60 s; connect 3 min (it waits for the tunnel). */
  readonly timeoutMs?: number;
  /** Called once when the daemon's version differs; default: one line on stderr. */
  readonly onVersionMismatch?: (m: VersionMismatch) => void;
}

function parse<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  if (cachedValidator(schema).check(value)) return value as Static<T>;
  throw new ViworksError('VIW_E_INTERNAL', { details: [`daemon answer to ${what}: not the expected shape`] });
}

function defaultMismatch(m: VersionMismatch): void {
  process.stderr.write(
    `warning: viworksd ${m.daemonVersion ?? 'unknown'} (local API v${m.daemonApiVersion ?? '?'}) differs from ` +
      `this client ${m.clientVersion} (local API v${m.clientApiVersion}); update one of them.\n`,
  );
}

export class LocalClient {
  readonly socketPath: string;
  private readonly http: UnixSocketHttp;
  private readonly timeoutMs: number | undefined;

  constructor(o: LocalClientOptions = {}) {
    this.socketPath = resolveSocketPath(o.socketPath);
    this.timeoutMs = o.timeoutMs;
    this.http = new UnixSocketHttp({
      socketPath: this.socketPath,
      clientVersion: packageVersion(),
      onVersionMismatch: o.onVersionMismatch ?? defaultMismatch,
    });
  }

  status(): Promise<Status> {
    return this.get('status', StatusSchema);
  }

  /** The full Status now, then after every change, until `signal` aborts or the daemon stops. */
  async *watch(opts: { signal?: AbortSignal } = {}): AsyncGenerator<Status> {
    yield* this.lines(LOCAL_ROUTES.watch.path, StatusSchema, 'watch', opts.signal);
  }

  version(): Promise<VersionResponse> {
    return this.get('version', VersionResponseSchema);
  }

  device(): Promise<DeviceInfo> {
    return this.get('device', DeviceInfoSchema);
  }

  preflight(): Promise<PreflightResponse> {
    return this.get('preflight', PreflightResponseSchema, 60_000);
  }

  /** The daemon's diagnostic checks (`viworks doctor`); addresses redacted unless asked for. */
  async diagnostics(opts: { includeAddresses?: boolean } = {}): Promise<DiagnosticsResponse> {
    const path = `${LOCAL_ROUTES.diagnostics.path}${opts.includeAddresses ? '?addresses=1' : ''}`;
    const body = await this.http.call('GET', path, { timeoutMs: this.timeoutMs ?? 30_000 });
    return parse(DiagnosticsResponseSchema, body, 'diagnostics');
  }

  /** Kept log lines (the last `lines`), then with `follow` every new one until aborted. */
  async *logs(
    opts: { follow?: boolean; lines?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<LogLine> {
    const q = new URLSearchParams();
    if (opts.follow) q.set('follow', '1');
    if (opts.lines !== undefined) q.set('lines', String(Math.max(0, Math.min(9999, Math.floor(opts.lines)))));
    const qs = q.toString();
    yield* this.lines(`${LOCAL_ROUTES.logs.path}${qs ? `?${qs}` : ''}`, LogLineSchema, 'logs', opts.signal);
  }

  /** The daemon's metrics in the Prometheus text format (for a node exporter textfile, a scraper). */
  metrics(): Promise<string> {
    return this.http.text(LOCAL_ROUTES.metrics.path, METRICS_CONTENT_TYPE, {
      timeoutMs: this.timeoutMs ?? 30_000,
    });
  }

  enroll(req: EnrollRequest): Promise<EnrollResponse> {
    return this.post('enroll', req, EnrollResponseSchema, 60_000);
  }

  enrollConfirm(req: EnrollConfirmRequest): Promise<EnrollResponse> {
    return this.post('enrollConfirm', req, EnrollResponseSchema, 60_000);
  }

  login(req: LoginRequest): Promise<LoginResponse> {
    return this.post('login', req, LoginResponseSchema);
  }

  otp(req: OtpRequest): Promise<OtpResponse> {
    return this.post('otp', req, OtpResponseSchema);
  }

  password(req: PasswordRequest): Promise<ActionResponse> {
    return this.post('password', req, ActionResponseSchema);
  }

  /** Resolves once connected; rejects with the failing step's code (the Status says which step). */
  connect(): Promise<ActionResponse> {
    return this.post('connect', {}, ActionResponseSchema, 180_000);
  }

  disconnect(): Promise<ActionResponse> {
    return this.post('disconnect', {}, ActionResponseSchema);
  }

  killSwitch(): Promise<KillSwitchInfo> {
    return this.get('killSwitch', KillSwitchInfoSchema);
  }

  /** Sets the kill switch mode (and LAN access); answers the resulting state. */
  setKillSwitch(req: KillSwitchRequest): Promise<KillSwitchInfo> {
    return this.post('setKillSwitch', req, KillSwitchInfoSchema);
  }

  private async get<T extends TSchema>(name: keyof typeof LOCAL_ROUTES, schema: T, timeoutMs = 30_000) {
    const body = await this.http.call('GET', LOCAL_ROUTES[name].path, {
      timeoutMs: this.timeoutMs ?? timeoutMs,
    });
    return parse(schema, body, name);
  }

  private async post<T extends TSchema>(
    name: keyof typeof LOCAL_ROUTES,
    req: unknown,
    schema: T,
    timeoutMs = 30_000,
  ) {
    const body = await this.http.call('POST', LOCAL_ROUTES[name].path, {
      body: req,
      timeoutMs: this.timeoutMs ?? timeoutMs,
    });
    return parse(schema, body, name);
  }

  private async *lines<T extends TSchema>(
    path: string,
    schema: T,
    what: string,
    signal?: AbortSignal,
  ): AsyncGenerator<Static<T>> {
    let res: Awaited<ReturnType<UnixSocketHttp['stream']>>;
    try {
      res = await this.http.stream(path, signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    try {
      for await (const value of ndjsonLines(res)) yield parse(schema, value, what);
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof ViworksError) throw err;
      throw new ViworksError('VIW_E_DAEMON_UNAVAILABLE', {
        details: ['the stream ended unexpectedly'],
        cause: err,
      });
    } finally {
      res.destroy();
    }
  }
}
