// Desktop login (POST /auth/login, POST /auth/verify) and the one-time password change
// (POST /auth/password). All are signed by the enrolled desktop's Ed25519 key (key id = device_id).
// Login answers the same `otp_required` shape whether or not the credentials are right; only the
// code on the user's bound phone completes it.
//
// The login is a small state machine; every answer names its state in `login_state`:
//   POST /auth/login    → otp_required
//   POST /auth/verify   → ok                        (access token + bootstrap grant)
//                       | password_change_required  (one-time password_token, nothing else)
//   POST /auth/password → login_required            (log in again with the new password)
//
// Contract versions (AUTH_API_VERSION; bump on any change a client must know about):
//   1  verify 200 = {access_token, bootstrap_grant, expires_at}; must_change_password accounts
//      were refused with 403 VIW_E_PASSWORD_CHANGE_REQUIRED and could not log in at all.
//   2  verify 200 is a union discriminated by `login_state` (`ok` adds the field to the v1 shape;
//      `password_change_required` is new); POST /auth/password added.
//   3  the login request may carry `posture` (the daemon's process hardening, posture.ts), recorded
//      in the login's audit event. A v2 backend refuses it (closed body: VIW_E_UNKNOWN_FIELD), so
//      the backend is updated before the desktops.
//   4  the login request may carry `backend_pins` (the SPKI pins the daemon holds for the backend);
//      a login presenting a pin the backend no longer publishes, once the pin-roll window elapsed,
//      is recorded as `client.pin_stale` (docs/detections.md). A v3 backend refuses the field.
//   5  the login request may carry `client_version` (the daemon's own version): the backend judges
//      the policy's minimum client version by it at login and bootstrap, and records it on the
//      device and the session. A login without it (a v4 daemon) has no known version: it meets no
//      minimum, and is refused (VIW_E_POLICY_POSTURE) only where a policy sets one. A v4 backend
//      refuses the field, so the backend is updated before the desktops.
import { type Static, Type } from 'typebox';
import {
  closed,
  IsoTime,
  NewPassword,
  OtpCode,
  Password,
  PasswordPolicySchema,
  Pin,
  TxnId,
  Username,
  Uuid,
} from './common.js';
import { ProcessPostureSchema } from './posture.js';

/** The most pins a login carries (a primary and a backup; room for a client mid-update). */
export const LOGIN_PINS_MAX = 4;

/** The version of this contract (see the change log above). */
export const AUTH_API_VERSION = 5;

/** The longest client version a login carries (a release with a pre-release tag and build). */
export const CLIENT_VERSION_MAX = 64;

/**
 * A daemon's version as a login reports it (v5): semantic-version-like — `MAJOR.MINOR.PATCH`, no
 * leading zeros, at most 9 digits each (exact as numbers), then an optional pre-release and build
 * (`1.4.0`, `1.4.0-rc.1+g1a2b3c`). A policy's minimum (`x.y.z`) is met by a plain release at or
 * above it; a version with a pre-release or build part meets it only by a higher MAJOR or MINOR.
 */
export const ClientVersion = Type.String({
  minLength: 5,
  maxLength: CLIENT_VERSION_MAX,
  pattern:
    '^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$',
});

export const LoginRequestSchema = Type.Object(
  {
    username: Username,
    password: Password,
    /** Must equal the signing key id: the device logging in. */
    device_id: Uuid,
    /** Client-chosen random value (16–64 base64url characters) recorded with the transaction. */
    device_nonce: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    /**
     * The daemon's process hardening when it logs in (v3); audited with the login, and enforced when
     * the user's access policy sets posture.require_hardening (docs/policies.md).
     */
    posture: Type.Optional(ProcessPostureSchema),
    /** The backend SPKI pins this daemon holds (sha256, base64; v4): the backend's pin-staleness check. */
    backend_pins: Type.Optional(Type.Array(Pin, { minItems: 1, maxItems: LOGIN_PINS_MAX })),
    /** The daemon's own version (v5): the policy's minimum client version is judged by it. */
    client_version: Type.Optional(ClientVersion),
  },
  closed,
);
export type LoginRequest = Static<typeof LoginRequestSchema>;

export const LoginResponseSchema = Type.Object(
  { login_state: Type.Literal('otp_required'), txn_id: TxnId, otp_expires_at: IsoTime },
  closed,
);
export type LoginResponse = Static<typeof LoginResponseSchema>;

export const VerifyRequestSchema = Type.Object({ txn_id: TxnId, otp_code: OtpCode }, closed);
export type VerifyRequest = Static<typeof VerifyRequestSchema>;

const Token = (prefix: string) =>
  Type.String({ minLength: 50, maxLength: 50, pattern: `^viw_${prefix}_[A-Za-z0-9_-]{43}$` });

/** 200 `ok`: the login is complete. */
export const VerifyOkSchema = Type.Object(
  {
    login_state: Type.Literal('ok'),
    /** Bearer token for the client API, bound to this device and source address. */
    access_token: Token('at'),
    /** One-time grant for GET /client/bootstrap. */
    bootstrap_grant: Token('bg'),
    expires_at: IsoTime,
  },
  closed,
);
export type VerifyOk = Static<typeof VerifyOkSchema>;

/**
 * 200 `password_change_required`: password and code were right, but the account holds a one-time
 * password (new, or reset by an administrator). No access token and no bootstrap grant: only a
 * one-time `password_token` for POST /auth/password, bound to this user, device, login and source
 * address, valid until `password_token_expires_at` (5 minutes).
 */
export const VerifyPasswordChangeSchema = Type.Object(
  {
    login_state: Type.Literal('password_change_required'),
    password_token: Token('pw'),
    password_token_expires_at: IsoTime,
    /** The rules the new password must meet (core/api/common.ts PASSWORD_POLICY). */
    password_policy: PasswordPolicySchema,
  },
  closed,
);
export type VerifyPasswordChange = Static<typeof VerifyPasswordChangeSchema>;

/** Everything POST /auth/verify can answer with 200; switch on `login_state`. */
export const VerifyReplySchema = Type.Union([VerifyOkSchema, VerifyPasswordChangeSchema]);
export type VerifyReply = Static<typeof VerifyReplySchema>;

/**
 * @deprecated The v1 name, now only the `ok` branch (so code written against v1 still compiles and
 * reads `access_token` from a completed login). Parse replies as VerifyReply and switch on
 * `login_state`; an account with a one-time password answers `password_change_required`.
 */
export const VerifyResponseSchema = VerifyOkSchema;
/** @deprecated See VerifyResponseSchema. */
export type VerifyResponse = VerifyOk;

/** POST /auth/password, signed by the device that received the token, from the same address. */
export const PasswordChangeRequestSchema = Type.Object(
  { password_token: Token('pw'), new_password: NewPassword },
  closed,
);
export type PasswordChangeRequest = Static<typeof PasswordChangeRequestSchema>;

/** 200: the password is changed; log in again (POST /auth/login) with the new one. */
export const PasswordChangeResponseSchema = Type.Object(
  { login_state: Type.Literal('login_required') },
  closed,
);
export type PasswordChangeResponse = Static<typeof PasswordChangeResponseSchema>;
