// The one table of `viworks` exit codes, and the one function that maps a catalogue code onto it.
// Scripts (fleet-enroll.sh, MDM jobs) branch on these numbers: they never change meaning.
// Documented in docs/cli.md; `satisfies Record<ErrorCode, …>` makes every new catalogue code
// fail to compile until it is placed here.
import type { ErrorCode } from '../../core/errors/catalogue.js';

export const EXIT = {
  /** Success. */
  ok: 0,
  /** Usage: bad flags or input, missing input with no terminal to prompt on, unknown id. */
  usage: 2,
  /** Authentication: wrong password or code, expired or missing session, locked account. */
  auth: 3,
  /** Policy or state: refused by role, device state, preflight, or the current connection state. */
  policy: 4,
  /** Network: backend or gateway unreachable, TLS or pin failure, tunnel failure. */
  network: 5,
  /** The local daemon cannot be reached (not running, or no permission on its socket). */
  daemon: 6,
  /** Internal: a bug, a malformed reply, a key store or configuration failure. */
  internal: 7,
} as const;

export type ExitClass = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitClass];

const CLASS_OF = {
  VIW_E_VALIDATION: 'usage',
  VIW_E_UNKNOWN_FIELD: 'usage',
  VIW_E_BODY_TOO_LARGE: 'usage',
  VIW_E_MALFORMED_JSON: 'usage',
  VIW_E_BAD_REQUEST: 'usage',
  VIW_E_HEADERS_TOO_LARGE: 'usage',
  VIW_E_REQUEST_TIMEOUT: 'network',
  VIW_E_NOT_FOUND: 'usage',
  VIW_E_CONFLICT: 'policy',
  VIW_E_RATE_LIMITED: 'policy',
  VIW_E_TOO_MANY_STREAMS: 'policy',
  VIW_E_INTERNAL: 'internal',
  VIW_E_CONFIG: 'internal',
  VIW_E_DB_MIGRATION: 'internal',

  VIW_E_AUTH_FAILED: 'auth',
  VIW_E_AUTH_REQUIRED: 'auth',
  VIW_E_FORBIDDEN: 'policy',
  VIW_E_ACCOUNT_LOCKED: 'auth',
  VIW_E_PASSWORD_CHANGE_REQUIRED: 'auth',
  VIW_E_SETUP_REQUIRED: 'auth',
  VIW_E_OTP_INVALID: 'auth',
  VIW_E_OTP_EXPIRED: 'auth',
  VIW_E_OTP_ATTEMPTS: 'auth',
  VIW_E_OTP_DENIED: 'auth',
  VIW_E_TOKEN_INVALID: 'auth',
  VIW_E_SOURCE_CHANGED: 'auth',
  VIW_E_SIGNATURE_INVALID: 'auth',

  VIW_E_DEVICE_UNKNOWN: 'policy',
  VIW_E_DEVICE_PENDING: 'policy',
  VIW_E_DEVICE_REVOKED: 'policy',
  VIW_E_POLICY_SCHEDULE: 'policy',
  VIW_E_POLICY_LOCATION: 'policy',
  VIW_E_POLICY_POSTURE: 'policy',
  VIW_E_POLICY_GATEWAY: 'policy',
  VIW_E_ENROLL_TOKEN_INVALID: 'auth',
  VIW_E_ATTESTATION_REQUIRED: 'policy',
  VIW_E_ATTESTATION_INVALID: 'policy',
  VIW_E_DEVICE_EXISTS: 'policy',
  VIW_E_HARDWARE_KEY_REQUIRED: 'policy',
  VIW_E_BIND_CODE_INVALID: 'auth',

  VIW_E_BOOTSTRAP_REPLAY: 'auth',
  VIW_E_BOOTSTRAP_EXPIRED: 'auth',
  VIW_E_BOOTSTRAP_INVALID: 'internal',
  VIW_E_SEAL_OPEN_FAILED: 'internal',
  VIW_E_ENVELOPE_INVALID: 'internal',

  VIW_E_PIN_MISMATCH: 'network',
  VIW_E_TLS_FAILED: 'network',
  VIW_E_SPA_FAILED: 'network',
  VIW_E_SPA_INVALID: 'internal',
  VIW_E_OPENVPN_FAILED: 'network',
  VIW_E_LEAK: 'policy',
  VIW_E_KILL_SWITCH: 'policy',
  VIW_E_CAPTIVE_PORTAL: 'network',
  VIW_E_CLOCK_SKEW: 'policy',
  VIW_E_PREFLIGHT: 'policy',
  VIW_E_BACKEND_UNREACHABLE: 'network',
  VIW_E_SESSION_REVOKED: 'policy',

  VIW_E_DAEMON_UNAVAILABLE: 'daemon',
  VIW_E_PERMISSION_DENIED: 'daemon',
  VIW_E_ORIGIN_REFUSED: 'policy',
  VIW_E_STATE: 'policy',
  VIW_E_KEYSTORE: 'internal',

  VIW_E_GATEWAY_HOSTKEY: 'network',
  VIW_E_GATEWAY_COMMAND: 'network',
  VIW_E_GATEWAY_UNREACHABLE: 'network',
  VIW_E_GATEWAY_NOT_READY: 'policy',
} as const satisfies Record<ErrorCode, ExitClass>;

/** The exit code for a catalogue code (anything unknown is internal). */
export function exitCodeFor(code: string): ExitCode {
  const cls: ExitClass | undefined = Object.hasOwn(CLASS_OF, code)
    ? CLASS_OF[code as keyof typeof CLASS_OF]
    : undefined;
  return EXIT[cls ?? 'internal'];
}
