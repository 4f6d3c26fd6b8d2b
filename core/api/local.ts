// The daemon's local API (viworksd ↔ viworks CLI, TUI, GUI): HTTP/JSON over a Unix domain socket,
// versioned routes under /v1, every object closed. This file is the contract both sides compile
// against; the typed LocalClient (core/localclient) has one method per route.
//
// Secrets (password, OTP) travel only in request bodies over the socket — never argv, env or logs;
// viworksd takes them out of the body as bytes, never as strings (LOCAL_SECRET_FIELDS below).

import { type Static, Type } from 'typebox';
import { ErrorBodySchema } from '../errors/error-body.js';
import type { SecretText } from '../secrets/secret-text.js';
import { closed, OtpCode, Password, PinSetSchema, Username } from './common.js';
import { KEY_PROTECTIONS } from './device.js';
import { LEAK_EVENT_REASONS, type LeakEventReason } from './device-events.js';
import { ProcessPostureSchema } from './posture.js';

export const LOCAL_API_VERSION = 1;
/** Sent by the daemon on every response; the client warns once on a mismatch. */
export const DAEMON_VERSION_HEADER = 'viworks-daemon-version';
export const LOCAL_API_VERSION_HEADER = 'viworks-local-api-version';

/** Explicit strings on the wire, never numbers (style.md). */
export const CONNECTION_STATES = [
  'idle',
  'enrolled',
  'logging_in',
  'otp_pending',
  'bootstrapping',
  'preflight',
  'spa',
  'tls',
  'openvpn',
  'connected',
  'disconnecting',
  'error',
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

const ErrorInfo = ErrorBodySchema;
const Time = Type.String({ maxLength: 40 });

export const DeviceInfoSchema = Type.Object(
  {
    device_id: Type.String({ maxLength: 80 }),
    fingerprint: Type.String({ maxLength: 64 }),
    status: Type.Enum(['active', 'pending_approval', 'revoked']),
    key_protection: Type.Enum(KEY_PROTECTIONS),
    key_store: Type.String({ maxLength: 64 }),
    backend_url: Type.String({ maxLength: 2048 }),
    username: Username,
  },
  closed,
);

export const TimingsSchema = Type.Object(
  {
    login_ms: Type.Union([Type.Number(), Type.Null()]),
    bootstrap_ms: Type.Union([Type.Number(), Type.Null()]),
    spa_ms: Type.Union([Type.Number(), Type.Null()]),
    tls_handshake_ms: Type.Union([Type.Number(), Type.Null()]),
    openvpn_ms: Type.Union([Type.Number(), Type.Null()]),
    total_connect_ms: Type.Union([Type.Number(), Type.Null()]),
  },
  closed,
);

/**
 * While connected: what the session's tunnels carried (the OpenVPN stream through the TLS proxy,
 * carried over restarts) and the last traffic; OpenVPN's keepalive pings are not traffic. The
 * signal of the daemon's idle auto-logout (no traffic for the policy's idle_timeout_s).
 */
export const TrafficSchema = Type.Object(
  {
    /** Bytes received from the gateway. */
    bytes_in: Type.Integer({ minimum: 0 }),
    /** Bytes sent to the gateway. */
    bytes_out: Type.Integer({ minimum: 0 }),
    last_activity_at: Time,
  },
  closed,
);

/**
 * The kill switch (docs/cli.md#kill-switch): `off`; `session` (default: from the knock until an
 * explicit disconnect; it stays through OpenVPN restarts, a daemon crash and a session lost to a
 * leak or a dead tunnel); `always` (also with no session, across daemon restarts and reboots).
 */
export const KILL_SWITCH_MODES = ['off', 'session', 'always'] as const;
export type KillSwitchMode = (typeof KILL_SWITCH_MODES)[number];

export const KillSwitchInfoSchema = Type.Object(
  {
    mode: Type.Enum(KILL_SWITCH_MODES),
    /** The local networks (RFC 1918, link-local) stay reachable outside the tunnel. */
    allow_lan: Type.Boolean(),
    /** The daemon's nftables table (`inet viworks`) is in the kernel now. */
    active: Type.Boolean(),
    /**
     * Why it is active without a connected session: `always` (the mode), `after_failure` (a
     * session that ended by a leak or a lost tunnel: `viworks disconnect` releases it); else null.
     */
    holding: Type.Union([Type.Enum(['always', 'after_failure']), Type.Null()]),
    /** nftables can be used on this machine (Linux, `nft` present, privileged daemon). */
    available: Type.Boolean(),
    /** The session's policy requires it (a connect with mode `off` is refused). */
    required: Type.Boolean(),
  },
  closed,
);
export type KillSwitchInfo = Static<typeof KillSwitchInfoSchema>;

export const DNS_METHODS = ['systemd-resolved', 'resolvconf', 'file'] as const;

/** The pushed DNS in place while connected, and how it was applied. */
export const DnsInfoSchema = Type.Object(
  {
    method: Type.Enum(DNS_METHODS),
    servers: Type.Array(Type.String({ maxLength: 45 }), { maxItems: 3 }),
    search_domains: Type.Array(Type.String({ maxLength: 254 }), { maxItems: 6 }),
    interface: Type.String({ maxLength: 15 }),
  },
  closed,
);

/** What the leak checks can find: the reasons the daemon reports to the backend (device-events.ts). */
export const LEAK_REASONS = LEAK_EVENT_REASONS;
export type LeakReason = LeakEventReason;

/** The continuous leak checks of a connected session (daemon/engine/leak-check.ts). */
export const LeakCheckInfoSchema = Type.Object(
  {
    interval_s: Type.Integer({ minimum: 1 }),
    checks: Type.Integer({ minimum: 0 }),
    last_at: Type.Union([Time, Type.Null()]),
    /** The last finding; null while all checks pass. */
    leak: Type.Union([Type.Enum(LEAK_REASONS), Type.Null()]),
  },
  closed,
);

export const NetworkProtectionSchema = Type.Object(
  {
    kill_switch: KillSwitchInfoSchema,
    dns: Type.Union([DnsInfoSchema, Type.Null()]),
    leak_check: Type.Union([LeakCheckInfoSchema, Type.Null()]),
  },
  closed,
);
export type NetworkProtection = Static<typeof NetworkProtectionSchema>;

/** `network` of a daemon that does not manage the network (and before its guard has started). */
export const NETWORK_UNMANAGED: NetworkProtection = {
  kill_switch: {
    mode: 'off',
    allow_lan: false,
    active: false,
    holding: null,
    available: false,
    required: false,
  },
  dns: null,
  leak_check: null,
};

export const KillSwitchRequestSchema = Type.Object(
  {
    mode: Type.Enum(KILL_SWITCH_MODES),
    /** Unchanged when absent. */
    allow_lan: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type KillSwitchRequest = Static<typeof KillSwitchRequestSchema>;

export const StatusSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    state: Type.Enum(CONNECTION_STATES),
    daemon_version: Type.String({ maxLength: 64 }),
    device: Type.Union([DeviceInfoSchema, Type.Null()]),
    session: Type.Union([
      Type.Object(
        {
          session_id: Type.String({ maxLength: 80 }),
          gateway_fqdn: Type.String({ maxLength: 253 }),
          connected_at: Type.Union([Time, Type.Null()]),
          expires_at: Time,
          virtual_ip: Type.Union([Type.String({ maxLength: 45 }), Type.Null()]),
          /**
           * The session's isolated browser on the gateway (issue #18; null: its policy grants none):
           * the viewer page to open inside the tunnel and the targets it shows (`viworks open`).
           */
          browser: Type.Union([
            Type.Object(
              {
                viewer_url: Type.String({ maxLength: 256 }),
                targets: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 16 }),
              },
              closed,
            ),
            Type.Null(),
          ]),
        },
        closed,
      ),
      Type.Null(),
    ]),
    /** While state is otp_pending: when the code expires. */
    otp_expires_at: Type.Union([Time, Type.Null()]),
    timings: TimingsSchema,
    /** Null unless state is connected. */
    traffic: Type.Union([TrafficSchema, Type.Null()]),
    last_error: Type.Union([ErrorInfo, Type.Null()]),
    /** The kill switch, the applied DNS and the leak checks (docs/cli.md#network-protection). */
    network: NetworkProtectionSchema,
    /** The daemon's process hardening (docs/cli.md#process-hardening; core/api/posture.ts). */
    posture: ProcessPostureSchema,
    updated_at: Time,
  },
  closed,
);
export type Status = Static<typeof StatusSchema>;

/** GET /v1/watch streams NDJSON: the first line is the full Status, then one full Status per change. */
export const WatchLineSchema = StatusSchema;

/**
 * The request fields that are secrets, wherever a route has them (top level only): viworksd lifts
 * them out of the body's bytes as SecretText (daemon/localapi/secret-fields.ts) and its handlers
 * receive the body as WithLocalSecrets<…>.
 */
export const LOCAL_SECRET_FIELDS = ['password', 'new_password', 'otp_code', 'enrollment_token'] as const;
export type LocalSecretField = (typeof LOCAL_SECRET_FIELDS)[number];
export type WithLocalSecrets<T> = { [K in keyof T]: K extends LocalSecretField ? SecretText : T[K] };

export const EnrollRequestSchema = Type.Object(
  {
    backend_url: Type.String({ maxLength: 2048, pattern: '^https://' }),
    /** The backend's two SPKI pins (primary + backup); enrollment fails closed on a mismatch. */
    backend_pins: PinSetSchema,
    /** The backend's root CA (PEM). */
    ca_pem: Type.String({ maxLength: 16384 }),
    username: Username,
    password: Password,
    /** Fleet enrollment; without it the backend asks for a phone code (POST /v1/enroll/confirm). */
    enrollment_token: Type.Optional(Type.String({ pattern: '^viw_et_[A-Za-z0-9_-]{43}$' })),
  },
  closed,
);
export const EnrollResponseSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    enroll_state: Type.Enum(['enrolled', 'otp_required']),
    device: Type.Union([DeviceInfoSchema, Type.Null()]),
    otp_expires_at: Type.Union([Time, Type.Null()]),
  },
  closed,
);
export const EnrollConfirmRequestSchema = Type.Object({ otp_code: OtpCode }, closed);

export const LoginRequestSchema = Type.Object({ password: Password }, closed);
export const LoginResponseSchema = Type.Object(
  { v: Type.Literal(LOCAL_API_VERSION), state: Type.Enum(CONNECTION_STATES), otp_expires_at: Time },
  closed,
);
export const OtpRequestSchema = Type.Object({ otp_code: OtpCode }, closed);
/** After a correct OTP the daemon holds the access token and grant in memory; connect uses them. */
export const OtpResponseSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    state: Type.Enum(CONNECTION_STATES),
    /** Set when the backend requires a new password first (POST /v1/password). */
    password_change_required: Type.Boolean(),
  },
  closed,
);
export const PasswordRequestSchema = Type.Object({ new_password: Password }, closed);

export const ConnectRequestSchema = Type.Object({}, closed);
export const ActionResponseSchema = Type.Object(
  { v: Type.Literal(LOCAL_API_VERSION), state: Type.Enum(CONNECTION_STATES) },
  closed,
);

export const PreflightCheckSchema = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    ok: Type.Boolean(),
    code: Type.Union([Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$' }), Type.Null()]),
    detail: Type.String({ maxLength: 256 }),
  },
  closed,
);
export const PreflightResponseSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    ok: Type.Boolean(),
    checks: Type.Array(PreflightCheckSchema, { maxItems: 32 }),
  },
  closed,
);

export const LogLineSchema = Type.Object(
  {
    at: Time,
    level: Type.Enum(['debug', 'info', 'warn', 'error']),
    msg: Type.String({ maxLength: 1024 }),
    state: Type.Union([Type.Enum(CONNECTION_STATES), Type.Null()]),
  },
  closed,
);

/**
 * GET /v1/logs query: `follow=1` keeps the stream open (NDJSON LogLine per line, oldest first);
 * `lines` limits how many kept lines come first (default: all kept).
 */
export const LogsQuerySchema = Type.Object(
  {
    follow: Type.Optional(Type.Enum(['0', '1'])),
    lines: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  closed,
);

export const VersionResponseSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    daemon_version: Type.String({ maxLength: 64 }),
    local_api_version: Type.Literal(LOCAL_API_VERSION),
  },
  closed,
);

/** A diagnostic check's outcome: `skip` when it cannot apply here (not enrolled, nothing to check). */
export const DIAGNOSTIC_STATUSES = ['pass', 'warn', 'fail', 'skip'] as const;
export type DiagnosticStatus = (typeof DIAGNOSTIC_STATUSES)[number];

/** The checks GET /v1/diagnostics answers, always all of them and in this order (docs/cli.md#doctor). */
export const DAEMON_DIAGNOSTIC_IDS = [
  'enrollment',
  'device_key',
  'backend',
  'clock',
  'gateway_dns',
  'tun_device',
  'other_vpn',
  'stale_routes',
  'dns_config',
  'kill_switch',
  'last_error',
] as const;

/**
 * One diagnostic check (`viworks doctor`). `code` is the stable code of a `fail` or `warn` (its
 * class gives doctor's exit code); `details` are short facts (round trip, store name, counts) —
 * never a secret, and addresses only when asked for (otherwise redacted: core/diagnostics/redact.ts).
 */
export const DiagnosticCheckSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
    status: Type.Enum(DIAGNOSTIC_STATUSES),
    summary: Type.String({ maxLength: 256 }),
    code: Type.Optional(Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$', maxLength: 64 })),
    hint: Type.Optional(Type.String({ maxLength: 256 })),
    details: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
        Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean(), Type.Null()]),
        { maxProperties: 16, additionalProperties: false },
      ),
    ),
  },
  closed,
);
export type DiagnosticCheck = Static<typeof DiagnosticCheckSchema>;

/** GET /v1/diagnostics query: `addresses=1` leaves IP addresses in the answer (default: redacted). */
export const DiagnosticsQuerySchema = Type.Object(
  { addresses: Type.Optional(Type.Enum(['0', '1'])) },
  closed,
);
export const DiagnosticsResponseSchema = Type.Object(
  {
    v: Type.Literal(LOCAL_API_VERSION),
    daemon_version: Type.String({ maxLength: 64 }),
    state: Type.Enum(CONNECTION_STATES),
    addresses: Type.Enum(['redacted', 'included']),
    checks: Type.Array(DiagnosticCheckSchema, { maxItems: 32 }),
  },
  closed,
);

/**
 * GET /v1/metrics answers the daemon's metrics in the Prometheus text format (not JSON):
 * connects and reconnects by outcome, the tunnel's phase histograms, the state one-hot, the leak
 * checks (server/metrics/README.md, "The daemon"). No query, no body; a read route.
 */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The route table, one entry per LocalClient method. `write` routes change state. */
export const LOCAL_ROUTES = {
  status: { method: 'GET', path: '/v1/status', write: false },
  watch: { method: 'GET', path: '/v1/watch', write: false },
  version: { method: 'GET', path: '/v1/version', write: false },
  device: { method: 'GET', path: '/v1/device', write: false },
  preflight: { method: 'GET', path: '/v1/preflight', write: false },
  diagnostics: { method: 'GET', path: '/v1/diagnostics', write: false },
  logs: { method: 'GET', path: '/v1/logs', write: false },
  metrics: { method: 'GET', path: '/v1/metrics', write: false },
  enroll: { method: 'POST', path: '/v1/enroll', write: true },
  enrollConfirm: { method: 'POST', path: '/v1/enroll/confirm', write: true },
  login: { method: 'POST', path: '/v1/login', write: true },
  otp: { method: 'POST', path: '/v1/otp', write: true },
  password: { method: 'POST', path: '/v1/password', write: true },
  connect: { method: 'POST', path: '/v1/connect', write: true },
  disconnect: { method: 'POST', path: '/v1/disconnect', write: true },
  killSwitch: { method: 'GET', path: '/v1/kill-switch', write: false },
  setKillSwitch: { method: 'POST', path: '/v1/kill-switch', write: true },
} as const;
