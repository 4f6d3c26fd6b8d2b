// The one catalogue of stable error codes shared by the server, the daemon, the CLI and the phone.
// A code never changes meaning once released; add new codes instead. Messages are for humans and
// must never contain a secret (passwords, OTPs, tokens, keys, bootstrap content).

export interface ErrorSpec {
  /** HTTP status the backend and the local API answer with. */
  readonly status: number;
  /** Short, safe, user-facing description. */
  readonly message: string;
  /** What the user or operator can do about it. */
  readonly hint: string;
}

const spec = (status: number, message: string, hint: string): ErrorSpec => ({ status, message, hint });

export const ERRORS = {
  // Input at any edge
  VIW_E_VALIDATION: spec(
    400,
    'The request does not match its schema',
    'Check the fields named in the details.',
  ),
  VIW_E_UNKNOWN_FIELD: spec(
    400,
    'The request carries a field that is not allowed',
    'Remove fields not in the API documentation.',
  ),
  VIW_E_BODY_TOO_LARGE: spec(413, 'The request body is too large', 'Send a smaller request.'),
  VIW_E_MALFORMED_JSON: spec(
    400,
    'The request body is not valid JSON',
    'Send a JSON object with Content-Type: application/json.',
  ),
  VIW_E_BAD_REQUEST: spec(
    400,
    'The request is malformed',
    'Check the path (percent-encoding, parameter length) and the headers.',
  ),
  VIW_E_HEADERS_TOO_LARGE: spec(431, 'The request headers are too large', 'Send fewer or shorter headers.'),
  VIW_E_REQUEST_TIMEOUT: spec(
    408,
    'The request did not arrive in time',
    'Send the whole request promptly; check the network and try again.',
  ),
  VIW_E_NOT_FOUND: spec(404, 'No such resource', 'Check the path and the identifier.'),
  VIW_E_CONFLICT: spec(
    409,
    'The resource is not in a state that allows this action',
    'List it again to see its current state; names must be unique.',
  ),
  VIW_E_RATE_LIMITED: spec(429, 'Too many requests', 'Wait a moment and try again.'),
  VIW_E_TOO_MANY_STREAMS: spec(
    429,
    'Too many open event streams',
    'Close the streams this session or token no longer reads, then open one again.',
  ),
  VIW_E_INTERNAL: spec(
    500,
    'Internal error',
    'Try again; if it persists, report the trace id to your administrator.',
  ),
  VIW_E_CONFIG: spec(
    500,
    'The configuration is invalid',
    'Run with --print-config and fix the named setting.',
  ),
  VIW_E_DB_MIGRATION: spec(
    500,
    'The database migrations could not be applied',
    'Read the named migration and the reason; never edit a migration that was already applied.',
  ),

  // Authentication and authorization
  VIW_E_AUTH_FAILED: spec(
    401,
    'Authentication failed',
    'Check your username and password, and that this device is enrolled.',
  ),
  VIW_E_AUTH_REQUIRED: spec(401, 'Authentication is required', 'Log in first.'),
  VIW_E_FORBIDDEN: spec(
    403,
    'Your role does not allow this action',
    'Ask an administrator for the needed role.',
  ),
  VIW_E_ACCOUNT_LOCKED: spec(
    423,
    'The account is locked',
    'Wait for the lockout to expire or ask an administrator to unlock it.',
  ),
  VIW_E_PASSWORD_CHANGE_REQUIRED: spec(
    403,
    'The password must be changed first',
    'Change the one-time password before anything else.',
  ),
  VIW_E_SETUP_REQUIRED: spec(
    403,
    'The first-login setup is not finished',
    'Change the one-time password and enroll TOTP, then log in again with the code.',
  ),
  VIW_E_OTP_INVALID: spec(
    401,
    'The one-time code is wrong',
    'Enter the 6-digit code shown on your bound phone.',
  ),
  VIW_E_OTP_EXPIRED: spec(401, 'The one-time code has expired', 'Log in again to get a new code.'),
  VIW_E_OTP_ATTEMPTS: spec(429, 'Too many wrong codes for this login', 'Log in again to get a new code.'),
  VIW_E_OTP_DENIED: spec(
    403,
    'The login was denied on the bound phone',
    'Log in again; if it was not you, tell your administrator at once.',
  ),
  VIW_E_TOKEN_INVALID: spec(401, 'The token is invalid or expired', 'Log in again.'),
  VIW_E_SOURCE_CHANGED: spec(
    403,
    'This request comes from another network address than the login',
    'Log in again from the network you are on now.',
  ),
  VIW_E_SIGNATURE_INVALID: spec(
    401,
    'The request signature is invalid',
    'Re-enroll this device if the problem persists.',
  ),

  // Devices and enrollment
  VIW_E_DEVICE_UNKNOWN: spec(403, 'This device is not enrolled', 'Run `viworks enroll`.'),
  VIW_E_DEVICE_PENDING: spec(
    403,
    'This device is waiting for approval',
    'Ask an administrator to approve it.',
  ),
  VIW_E_DEVICE_REVOKED: spec(403, 'This device was unbound', 'Enroll the device again.'),
  // Access policy (docs/policies.md): the details name the rule that denied.
  VIW_E_POLICY_SCHEDULE: spec(
    403,
    'Your access policy does not allow access at this time',
    'Try again within the allowed hours, or ask your administrator (`viworks admin policies explain`).',
  ),
  VIW_E_POLICY_LOCATION: spec(
    403,
    'Your access policy does not allow access from this network or country',
    'Connect from an allowed location, or ask your administrator (`viworks admin policies explain`).',
  ),
  VIW_E_POLICY_POSTURE: spec(
    403,
    'This device does not meet your access policy',
    'The details say which check failed (key protection, phone attestation, hardening, client version).',
  ),
  VIW_E_POLICY_GATEWAY: spec(
    403,
    'Your access policy does not allow this gateway',
    'Ask your administrator which gateways your policy allows.',
  ),
  VIW_E_ENROLL_TOKEN_INVALID: spec(
    403,
    'The enrollment token is invalid, used up, expired or revoked',
    'Ask IT for a new token.',
  ),
  VIW_E_ATTESTATION_INVALID: spec(
    403,
    "The phone's attestation could not be verified",
    'Bind with a supported phone whose authenticator your organisation trusts; see the details.',
  ),
  VIW_E_ATTESTATION_REQUIRED: spec(
    403,
    'The phone could not prove it is genuine',
    'Use the official app on an unmodified phone.',
  ),
  VIW_E_DEVICE_EXISTS: spec(
    409,
    'A device with these keys is already enrolled',
    'Use the enrolled device, or ask an administrator to unbind it before enrolling again.',
  ),
  VIW_E_HARDWARE_KEY_REQUIRED: spec(
    403,
    'This backend enrolls only devices whose keys are held in hardware (a TPM 2.0)',
    'Enroll from a machine with a TPM 2.0 (viworksd --keystore tpm2; viworks status shows the key store), or ask IT.',
  ),
  VIW_E_BIND_CODE_INVALID: spec(
    403,
    'The bind code is wrong, used or expired',
    'Ask for a new bind code and type it within 10 minutes.',
  ),

  // Bootstrap and sealing
  VIW_E_BOOTSTRAP_REPLAY: spec(409, 'This bootstrap was already delivered', 'Log in again to get a new one.'),
  VIW_E_BOOTSTRAP_EXPIRED: spec(410, 'The bootstrap has expired', 'Log in again to get a new one.'),
  VIW_E_BOOTSTRAP_INVALID: spec(
    422,
    'The bootstrap content is not acceptable',
    'Update the client or contact your administrator.',
  ),
  VIW_E_SEAL_OPEN_FAILED: spec(
    422,
    'The sealed bootstrap could not be opened on this device',
    'Re-enroll this device; the key may have changed.',
  ),
  VIW_E_ENVELOPE_INVALID: spec(
    422,
    'The sealed envelope is malformed',
    'Update the client or contact your administrator.',
  ),

  // Connection path
  VIW_E_PIN_MISMATCH: spec(
    495,
    'The server key does not match the pinned key',
    'Do not continue; contact your administrator (possible interception or pin roll).',
  ),
  VIW_E_TLS_FAILED: spec(
    502,
    'The TLS connection to the gateway failed',
    'Check the network; the gateway may be down.',
  ),
  VIW_E_SPA_FAILED: spec(
    502,
    'The gateway did not open after the knock',
    'Check your clock and network; NAT may change your source address.',
  ),
  VIW_E_SPA_INVALID: spec(400, 'The SPA packet is malformed or fails authentication', 'Check the SPA keys.'),
  VIW_E_OPENVPN_FAILED: spec(
    502,
    'The OpenVPN tunnel could not be established',
    'See `viworks logs`; contact your administrator if it persists.',
  ),
  VIW_E_LEAK: spec(
    409,
    'Traffic would leave outside the tunnel',
    'The tunnel was closed to protect you; check local VPN or DNS software.',
  ),
  VIW_E_KILL_SWITCH: spec(
    500,
    'The kill switch could not be put in place',
    'Install nftables (apt-get install nftables) and check `viworks killswitch status`; nothing was sent outside the tunnel.',
  ),
  VIW_E_CAPTIVE_PORTAL: spec(
    409,
    'This network needs a sign-in (captive portal) before the VPN can connect',
    'Open any web page in a browser, sign in to the network, then connect again.',
  ),
  VIW_E_CLOCK_SKEW: spec(
    409,
    'This computer clock is off by more than allowed',
    'Enable automatic time synchronisation.',
  ),
  VIW_E_PREFLIGHT: spec(409, 'A preflight check failed', 'See the failed check and its hint.'),
  VIW_E_BACKEND_UNREACHABLE: spec(
    503,
    'The ViWorkS backend cannot be reached',
    'Check the network and try again.',
  ),
  VIW_E_SESSION_REVOKED: spec(
    410,
    'The session was ended by an administrator',
    'Log in again if you are still allowed to.',
  ),

  // Local daemon
  VIW_E_DAEMON_UNAVAILABLE: spec(
    503,
    'The ViWorkS daemon is not running',
    'Start it with `sudo systemctl start viworksd`.',
  ),
  VIW_E_PERMISSION_DENIED: spec(
    403,
    'Permission denied on the daemon socket',
    'Add yourself to the viworks group or use sudo.',
  ),
  VIW_E_ORIGIN_REFUSED: spec(403, 'Browser requests are refused', 'Use the viworks CLI or app.'),
  VIW_E_STATE: spec(409, 'That action is not possible in the current state', 'Check `viworks status`.'),
  VIW_E_KEYSTORE: spec(
    500,
    'The device key store failed',
    'Re-enroll the device if the key cannot be recovered.',
  ),

  // Gateway control plane
  VIW_E_GATEWAY_HOSTKEY: spec(
    502,
    'The gateway SSH host key does not match its pin',
    'Do not continue; verify the gateway and update its pinned host key.',
  ),
  VIW_E_GATEWAY_COMMAND: spec(
    502,
    'The gateway refused or failed a control command',
    'See the audit log for the command and its exit code.',
  ),
  VIW_E_GATEWAY_UNREACHABLE: spec(
    503,
    'The gateway could not be reached over its SSH control channel',
    'Check that the gateway is up, that port 2222 admits the backend, and run `viworks admin gateways health`.',
  ),
  VIW_E_GATEWAY_NOT_READY: spec(
    503,
    'The gateway is not provisioned yet',
    'Register it with `viworks admin gateways add`, then run `viworks admin gateways provision`.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** An error body as the server builds it (a catalogue code); the wire schema is error-body.ts. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint: string;
  readonly details?: readonly string[];
  readonly trace_id?: string;
}
