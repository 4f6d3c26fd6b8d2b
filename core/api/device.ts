// Desktop device enrollment (POST /device/enroll, POST /device/enroll/confirm).
//
// The desktop generates an HPKE key (bootstraps are sealed to it) and a signing key (it signs its
// requests), and proves possession of the signing key by signing the enrollment request itself
// (core/crypto/request-signing.ts) with key id = the device fingerprint. After enrollment the key id
// is the server's device_id. Two key types:
//   - `x25519_ed25519` (the default when `key_type` is absent): X25519 + Ed25519, raw 32 bytes each;
//     software key stores;
//   - `p256`: both keys P-256, uncompressed SEC1 points (65 bytes), generated inside a TPM 2.0 and
//     never leaving it; bootstraps are sealed in the P-256 suite, requests signed with ECDSA P-256.
//
// Two ways to authorize an enrollment, both naming the user with username + password:
//   - with `enrollment_token` (IT-issued fleet token): one step, 201; the token's auto_approve
//     decides `active` vs `pending_approval`;
//   - without a token: 202 otp_required, then POST /device/enroll/confirm with the code shown on the
//     user's bound phone (signed by the same new key): 201 with status `pending_approval`.
import { type Static, Type } from 'typebox';
import {
  closed,
  DevicePublicKey,
  DisplayName,
  IsoTime,
  OtpCode,
  Password,
  PinSetSchema,
  Sha256Hex,
  TxnId,
  Username,
  Uuid,
} from './common.js';

export const DESKTOP_PLATFORMS = ['linux', 'macos', 'windows'] as const;
/**
 * Where the device's private keys live: `tpm2` (generated in a TPM 2.0, never leave it), `hardware`
 * (another hardware store: a secure enclave), `software` (OS keyring or encrypted file). The client
 * says so; without attestation it is a claim (docs/identity-api.md).
 */
export const KEY_PROTECTIONS = ['hardware', 'software', 'tpm2'] as const;
export type KeyProtection = (typeof KEY_PROTECTIONS)[number];
/** See the header. Only `p256` is ever sent; an absent key_type means `x25519_ed25519`. */
export const DEVICE_KEY_TYPES = ['x25519_ed25519', 'p256'] as const;
export type DeviceKeyType = (typeof DEVICE_KEY_TYPES)[number];
export const DEVICE_STATUSES = ['active', 'pending_approval'] as const;
export const ENROLLMENT_TOKEN_PATTERN = '^viw_et_[A-Za-z0-9_-]{43}$';

export const EnrollRequestSchema = Type.Object(
  {
    hpke_public_key: DevicePublicKey,
    signing_public_key: DevicePublicKey,
    fingerprint: Sha256Hex,
    key_type: Type.Optional(Type.Enum(DEVICE_KEY_TYPES)),
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
