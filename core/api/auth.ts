// Desktop login (POST /auth/login, POST /auth/verify). Both requests are signed by the enrolled
// desktop's Ed25519 key (key id = device_id). Login answers the same `otp_required` shape whether
// or not the credentials are right; only the code on the user's bound phone completes it.
import { type Static, Type } from 'typebox';
import { closed, IsoTime, OtpCode, Password, TxnId, Username, Uuid } from './common.js';

export const LoginRequestSchema = Type.Object(
  {
    username: Username,
    password: Password,
    /** Must equal the signing key id: the device logging in. */
    device_id: Uuid,
    /** Client-chosen random value (16–64 base64url characters) recorded with the transaction. */
    device_nonce: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
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

export const VerifyResponseSchema = Type.Object(
  {
    /** Bearer token for the client API, bound to this device and source address. */
    access_token: Token('at'),
    /** One-time grant for GET /client/bootstrap. */
    bootstrap_grant: Token('bg'),
    expires_at: IsoTime,
  },
  closed,
);
export type VerifyResponse = Static<typeof VerifyResponseSchema>;
