// The documented result of every daemon-side `viworks` command: what `run()` returns and what
// `--json` prints (one object per line; `{v: 1, …}`). A change of meaning bumps `v`. Admin results
// are in admin-results.ts. Schemas are closed, so tests catch any field a command adds silently.
import { type Static, type TProperties, Type } from 'typebox';
import {
  CONNECTION_STATES,
  DeviceInfoSchema,
  DiagnosticCheckSchema,
  KILL_SWITCH_MODES,
  KillSwitchInfoSchema,
  LogLineSchema,
  PreflightResponseSchema,
  StatusSchema,
  TimingsSchema,
} from '../../core/api/local.js';
import { ErrorBodySchema } from '../../core/errors/error-body.js';
import { closed } from '../../core/schema/strict.js';

/** A versioned result object. */
export const v1 = <P extends TProperties>(props: P) => Type.Object({ v: Type.Literal(1), ...props }, closed);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const State = Type.Enum(CONNECTION_STATES);

export const ErrorInfoSchema = ErrorBodySchema;
/** What every command prints with --json when it fails. */
export const ErrorResultSchema = v1({ error: ErrorInfoSchema });
export type ErrorResult = Static<typeof ErrorResultSchema>;

/** `viworks status`: the daemon's Status (with --watch: one per line, the first full). */
export const StatusResultSchema = StatusSchema;
export type StatusResult = Static<typeof StatusResultSchema>;

/** `viworks version`: this client's version and the daemon's, or why the daemon did not answer. */
export const VersionResultSchema = v1({
  client_version: Type.String(),
  daemon_version: Nullable(Type.String()),
  local_api_version: Nullable(Type.Integer()),
  /** False when both answered and differ. */
  compatible: Nullable(Type.Boolean()),
  daemon_error: Nullable(ErrorInfoSchema),
});
export type VersionResult = Static<typeof VersionResultSchema>;

/** `viworks device show`: this machine's enrolled device, or `enrolled: false`. */
export const DeviceShowResultSchema = v1({
  enrolled: Type.Boolean(),
  device: Nullable(DeviceInfoSchema),
});
export type DeviceShowResult = Static<typeof DeviceShowResultSchema>;

/**
 * `viworks enroll`: `enrolled` (this run enrolled the device; `device.status` says whether it is
 * active or waits for approval) or `already_enrolled` (nothing was sent).
 */
export const EnrollResultSchema = v1({
  enroll_state: Type.Enum(['enrolled', 'already_enrolled']),
  device: DeviceInfoSchema,
});
export type EnrollResult = Static<typeof EnrollResultSchema>;

/** `viworks login`: the daemon's state after the code was accepted. */
export const LoginResultSchema = v1({
  state: State,
  /** The account had a one-time password and this run replaced it (then logged in again). */
  password_changed: Type.Boolean(),
});
export type LoginResult = Static<typeof LoginResultSchema>;

/** `viworks connect`: the tunnel is up. */
export const ConnectResultSchema = v1({
  state: Type.Literal('connected'),
  /** True when the tunnel was already up and nothing was done. */
  already_connected: Type.Boolean(),
  session: StatusSchema.properties.session,
  timings: TimingsSchema,
});
export type ConnectResult = Static<typeof ConnectResultSchema>;

/** `viworks disconnect`. */
export const DisconnectResultSchema = v1({
  state: State,
  /** False when there was no tunnel to close. */
  was_connected: Type.Boolean(),
});
export type DisconnectResult = Static<typeof DisconnectResultSchema>;

/**
 * `viworks tui`: never printed (the TUI refuses --json: a full-screen dialogue has no single
 * result); what run() returns when the user quits — the daemon's last state, null if it never answered.
 */
export const TuiResultSchema = v1({ state: Type.Union([State, Type.Null()]) });
export type TuiResult = Static<typeof TuiResultSchema>;

/** `viworks preflight`: every check; exit code 4 when one failed. */
export const PreflightResultSchema = PreflightResponseSchema;
export type PreflightResult = Static<typeof PreflightResultSchema>;

/**
 * `viworks doctor`: the daemon check (this CLI's own) then every check of GET /v1/diagnostics in
 * its order (DAEMON_DIAGNOSTIC_IDS; those the daemon must make are `skip` when it cannot be
 * asked). `ok`: no check failed. Addresses redacted unless --include-addresses (docs/cli.md#doctor).
 */
export const DoctorResultSchema = v1({
  ok: Type.Boolean(),
  generated_at: Type.String(),
  client_version: Type.String(),
  daemon_version: Nullable(Type.String()),
  local_api_version: Type.Integer(),
  /** The daemon's connection state; null when it could not be asked. */
  state: Nullable(State),
  addresses: Type.Enum(['redacted', 'included']),
  counts: Type.Object(
    {
      pass: Type.Integer({ minimum: 0 }),
      warn: Type.Integer({ minimum: 0 }),
      fail: Type.Integer({ minimum: 0 }),
      skip: Type.Integer({ minimum: 0 }),
    },
    closed,
  ),
  checks: Type.Array(DiagnosticCheckSchema),
});
export type DoctorResult = Static<typeof DoctorResultSchema>;

/** `viworks killswitch status`: the daemon's kill switch now (docs/cli.md#kill-switch). */
export const KillSwitchStatusResultSchema = v1({ kill_switch: KillSwitchInfoSchema });
export type KillSwitchStatusResult = Static<typeof KillSwitchStatusResultSchema>;

/**
 * `viworks killswitch on|off|always [--[no-]allow-lan]`: the kill switch after the change (in
 * effect at once, persisted by the daemon), what it was before, and whether mode or LAN access
 * changed (false: it was already so; the daemon put it in place again anyway).
 */
export const KillSwitchSetResultSchema = v1({
  kill_switch: KillSwitchInfoSchema,
  previous: Type.Object({ mode: Type.Enum(KILL_SWITCH_MODES), allow_lan: Type.Boolean() }, closed),
  changed: Type.Boolean(),
});
export type KillSwitchSetResult = Static<typeof KillSwitchSetResultSchema>;

/** `viworks logs`: recent daemon log lines (with --follow: one object per line as they come). */
export const LogsResultSchema = v1({ lines: Type.Array(LogLineSchema) });
export type LogsResult = Static<typeof LogsResultSchema>;

/** `viworks daemon install`: each step and what it did (or would do, with --dry-run). */
export const DaemonInstallResultSchema = v1({
  dry_run: Type.Boolean(),
  /** True when anything was (or would be) changed. */
  changed: Type.Boolean(),
  unit_path: Type.String(),
  group: Type.String(),
  steps: Type.Array(
    Type.Object(
      {
        step: Type.Enum(['group', 'unit', 'daemon-reload', 'enable', 'start']),
        action: Type.Enum(['create', 'update', 'run', 'none', 'skip']),
        detail: Type.String(),
      },
      closed,
    ),
  ),
});
export type DaemonInstallResult = Static<typeof DaemonInstallResultSchema>;

/** `viworks gui`: how the GUI ended (printed when it ends; the launch link goes to stderr at start). */
/** `viworks open [target]`: the session's isolated browser viewer, opened or only printed. */
export const OpenResultSchema = v1({
  target: Type.String({ maxLength: 32 }),
  viewer_url: Type.String({ maxLength: 256 }),
  /** False with --no-open, or when xdg-open could not be started. */
  opened: Type.Boolean(),
});
export type OpenResult = Static<typeof OpenResultSchema>;

export const GuiResultSchema = v1({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  ended: Type.Enum(['window_closed', 'idle', 'closed']),
});
export type GuiResult = Static<typeof GuiResultSchema>;
