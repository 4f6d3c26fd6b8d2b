// Desktop device enrollment (POST /device/enroll, POST /device/enroll/confirm).
//
// The desktop generates an X25519 key (bootstraps are HPKE-sealed to it) and an Ed25519 key (it
// signs its requests), and proves possession of the Ed25519 key by signing the enrollment request
// itself (core/crypto/request-signing.ts) with key id = the device fingerprint. After enrollment the
// key id is the server's device_id.
//
// Two ways to authorize an enrollment, both naming the user with username + password:
//   - with `enrollment_token` (IT-issued fleet token): one step, 201; the token's auto_approve
//     decides `active` vs `pending_approval`;
//   - without a token: 202 otp_required, then POST /device/enroll/confirm with the code shown on the
//     user's bound phone (signed by the same new key): 201 with status `pending_approval`.
import { type Static, Type } from 'typebox';
import {
  closed,
  DisplayName,
  IsoTime,
  Key32,
  OtpCode,
  Password,
  PinSetSchema,
  Sha256Hex,
  TxnId,
  Username,
  Uuid,
} from './common.js';

export const DESKTOP_PLATFORMS = ['linux', 'macos', 'windows'] as const;
export const KEY_PROTECTIONS = ['hardware', 'software'] as const;
export const DEVICE_STATUSES = ['active', 'pending_approval'] as const;
export const ENROLLMENT_TOKEN_PATTERN = '^viw_et_[A-Za-z0-9_-]{43}$';

export const EnrollRequestSchema = Type.Object(
  {
    hpke_public_key: Key32,
    signing_public_key: Key32,
    fingerprint: Sha256Hex,
    platform: Type.Enum(DESKTOP_PLATFORMS),
    /** The name the desktop proposes for itself (its host name); shown on the phone with its logins. */
    device_name: Type.Optional(DisplayName),
    client_version: Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z][0-9A-Za-z.+-]*$' }),
    key_protection: Type.Enum(KEY_PROTECTIONS),
    username: Username,
    password: Password,
    enrollment_token: Type.Optional(
      Type.String({ minLength: 50, maxLength: 50, pattern: ENROLLMENT_TOKEN_PATTERN }),
    ),
  },
  closed,
);
export type EnrollRequest = Static<typeof EnrollRequestSchema>;

/** 201: the device exists (active, or waiting for an administrator's approval). */
export const EnrolledDeviceSchema = Type.Object(
  {
    device_id: Uuid,
    status: Type.Enum(DEVICE_STATUSES),
    fingerprint: Sha256Hex,
    /** The backend's SPKI pins (primary + backup) the client keeps pinning. */
    backend_pins: Type.Optional(PinSetSchema),
  },
  closed,
);
export type EnrolledDevice = Static<typeof EnrolledDeviceSchema>;

/** 202: enrollment without a token waits for the code on the user's phone. */
export const EnrollOtpRequiredSchema = Type.Object(
  { enroll_state: Type.Literal('otp_required'), txn_id: TxnId, otp_expires_at: IsoTime },
  closed,
);
export type EnrollOtpRequired = Static<typeof EnrollOtpRequiredSchema>;

export const EnrollConfirmRequestSchema = Type.Object({ txn_id: TxnId, otp_code: OtpCode }, closed);
export type EnrollConfirmRequest = Static<typeof EnrollConfirmRequestSchema>;
