// The phone app's API (POST /mobile/bind, GET /mobile/otp, POST /mobile/otp/deny).
//
// The phone holds an Ed25519 key (raw 32 bytes, base64url). The bind request is signed with key id
// = the phone fingerprint (SHA-256 hex of the raw public key), proving possession; later requests
// use key id = mobile_device_id. At bind, a platform attestation (WebAuthn, App Attest or Play
// Integrity) covers this key (docs/phone-protocol.md); the simulator (mobile/sim) uses tweetnacl.
import { type Static, Type } from 'typebox';
import { taggedUnion } from '../schema/strict.js';
import {
  closed,
  DISPLAY_TEXT_PATTERN,
  DisplayName,
  IpAddress,
  IsoTime,
  Key32,
  OtpCode,
  TxnId,
  Uuid,
} from './common.js';

export const MOBILE_PLATFORMS = ['android', 'ios'] as const;
/** How a phone proves what it is at bind (`none`: development mode only). */
export const ATTESTATION_TYPES = ['none', 'webauthn', 'app_attest', 'play_integrity'] as const;
/** Longest long-poll the server honours for GET /mobile/otp?wait=N (seconds). */
export const OTP_MAX_WAIT_S = 25;

/** No attestation: accepted by a backend in development mode only. */
export const NoAttestationSchema = Type.Object({ type: Type.Literal('none') }, closed);

const B64u = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });

/**
 * A WebAuthn registration (the JSON form of `navigator.credentials.create()`'s answer), as the phone
 * app sends it to bind: attestation `direct`, user verification required. Sizes are capped here,
 * before any CBOR is decoded (server/services/mobile/attestation).
 */
export const WebAuthnRegistrationSchema = Type.Object(
  {
    id: B64u(256),
    rawId: B64u(256),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: B64u(4096),
        attestationObject: B64u(16384),
        transports: Type.Optional(
          Type.Array(Type.String({ maxLength: 16, pattern: '^[a-z-]+$' }), { maxItems: 8 }),
        ),
      },
      closed,
    ),
    clientExtensionResults: Type.Object({}, closed),
    authenticatorAttachment: Type.Optional(Type.Enum(['platform', 'cross-platform'])),
  },
  closed,
);
export type WebAuthnRegistration = Static<typeof WebAuthnRegistrationSchema>;

/** A WebAuthn platform credential with `direct` attestation: how a phone proves what it is. */
export const WebAuthnAttestationSchema = Type.Object(
  { type: Type.Literal('webauthn'), registration: WebAuthnRegistrationSchema },
  closed,
);
export type WebAuthnAttestation = Static<typeof WebAuthnAttestationSchema>;

/**
 * The native iOS app: a new App Attest key's attestation (DCAppAttestService.attestKey), made with
 * clientDataHash = SHA-256 of the bind client data, which binds the bind challenge and this phone's
 * request-signing key (docs/phone-protocol.md#native-apps).
 */
export const AppAttestAttestationSchema = Type.Object(
  {
    type: Type.Literal('app_attest'),
    /** The key id generateKey returned: standard base64 of the key's SHA-256. */
    key_id: Type.String({ minLength: 44, maxLength: 44, pattern: '^[A-Za-z0-9+/]{43}=$' }),
    /** The attestation object attestKey returned, base64url (Apple's are ~5.5 KB; 16 KiB at most). */
    attestation_object: B64u(21846),
  },
  closed,
);
export type AppAttestAttestation = Static<typeof AppAttestAttestationSchema>;

/**
 * The native Android app: the integrity token of a classic Play Integrity request whose nonce is
 * base64url(SHA-256(bind client data)) (docs/phone-protocol.md#native-apps).
 */
export const PlayIntegrityAttestationSchema = Type.Object(
  {
    type: Type.Literal('play_integrity'),
    /** A compact JWE, as IntegrityTokenResponse.token() returns it. */
    token: Type.String({ minLength: 1, maxLength: 16384, pattern: '^[A-Za-z0-9_.-]+$' }),
  },
  closed,
);
export type PlayIntegrityAttestation = Static<typeof PlayIntegrityAttestationSchema>;

export const AttestationSchema = taggedUnion('type', [
  WebAuthnAttestationSchema,
  AppAttestAttestationSchema,
  PlayIntegrityAttestationSchema,
  NoAttestationSchema,
]);
export type Attestation = Static<typeof AttestationSchema>;

const BindCode = Type.String({ minLength: 10, maxLength: 16, pattern: '^[A-Za-z0-9 -]+$' });

/**
 * POST /mobile/bind/options, signed by the new phone key (key id = its fingerprint): the one-time
 * challenge for this bind code and this phone key (WebAuthn's challenge; the native apps hash it into
 * their bind client data), valid for one bind within the OTP lifetime.
 */
export const BindOptionsRequestSchema = Type.Object({ bind_code: BindCode, public_key: Key32 }, closed);
export type BindOptionsRequest = Static<typeof BindOptionsRequestSchema>;
export const BindOptionsResponseSchema = Type.Object(
  {
    /** base64url, for `navigator.credentials.create({ publicKey: { challenge } })`. */
    challenge: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' }),
    rp_id: Type.String({ minLength: 1, maxLength: 253 }),
    /** The WebAuthn user handle (base64url) and name: the account the bind code was issued for. */
    user_id: Type.String({ minLength: 1, maxLength: 86, pattern: '^[A-Za-z0-9_-]+$' }),
    user_name: Type.String({ minLength: 1, maxLength: 128 }),
    timeout_s: Type.Integer({ minimum: 1, maximum: 600 }),
  },
  closed,
);
export type BindOptionsResponse = Static<typeof BindOptionsResponseSchema>;

export const BindRequestSchema = Type.Object(
  {
    bind_code: BindCode,
    platform: Type.Enum(MOBILE_PLATFORMS),
    public_key: Key32,
    attestation: AttestationSchema,
  },
  closed,
);
export type BindRequest = Static<typeof BindRequestSchema>;

export const BindResponseSchema = Type.Object(
  {
    mobile_device_id: Uuid,
    status: Type.Literal('active'),
    attestation_verdict: Type.Enum(['pass', 'unknown']),
    /** `development` when bound without a verified attestation (never accepted in production). */
    trust_mode: Type.Enum(['production', 'development']),
  },
  closed,
);
export type BindResponse = Static<typeof BindResponseSchema>;

export const OtpQuerySchema = Type.Object(
  { wait: Type.Optional(Type.String({ maxLength: 2, pattern: '^[0-9]{1,2}$' })) },
  closed,
);

/**
 * An attested phone is not sent the code here: it gets `reveal`, a one-time challenge its proof must
 * cover, and POST /mobile/otp/reveal answers the code. Phones bound without attestation
 * (development mode only) get `code` directly. How the phone answers depends on `type`:
 * absent — a user-verified WebAuthn assertion by credential `credential_id` for RP `rp_id`;
 * `app_attest` — an App Attest assertion by key `credential_id` (base64url key id) of app `rp_id`;
 * `play_integrity` — a fresh integrity token for package `rp_id` (`credential_id`: the fingerprint
 * of the phone's signing key, which must sign the reveal; Play Integrity attests no key of its own).
 * The native apps' proofs cover the reveal client data (docs/phone-protocol.md#native-apps).
 */
export const RevealChallengeSchema = Type.Object(
  {
    challenge: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' }),
    rp_id: Type.String({ minLength: 1, maxLength: 253 }),
    credential_id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$' }),
    type: Type.Optional(Type.Enum(['app_attest', 'play_integrity'])),
  },
  closed,
);

/** ISO 3166-1 alpha-2, from the backend's configured country database (server/services/geo/). */
export const CountryCode = Type.String({ minLength: 2, maxLength: 2, pattern: '^[A-Z]{2}$' });
/** The autonomous system a source address belongs to, from the configured ASN database. */
export const SourceAsnSchema = Type.Object(
  {
    number: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    organization: Type.Union([
      Type.String({ minLength: 1, maxLength: 128, pattern: DISPLAY_TEXT_PATTERN }),
      Type.Null(),
    ]),
  },
  closed,
);

export const PendingOtpSchema = Type.Object(
  {
    txn_id: TxnId,
    code: Type.Optional(OtpCode),
    reveal: Type.Optional(RevealChallengeSchema),
    expires_at: IsoTime,
    /** What the code unlocks: a desktop login, or the enrollment of a new desktop. */
    purpose: Type.Enum(['login', 'enroll']),
    context: Type.Object(
      {
        source_ip: IpAddress,
        /** `private`: a non-routable address (no country or AS exists for it, none is looked up). */
        source_network: Type.Enum(['public', 'private']),
        /** Null when not known: private, unconfigured, or not in the database. */
        country: Type.Union([CountryCode, Type.Null()]),
        asn: Type.Union([SourceAsnSchema, Type.Null()]),
        device_id: Type.Union([Uuid, Type.Null()]),
        /** The desktop's name: its device record's, or the one an enrolling desktop proposed; null if none. */
        device_name: Type.Union([DisplayName, Type.Null()]),
        device_platform: Type.String({ minLength: 1, maxLength: 16 }),
        requested_at: IsoTime,
      },
      closed,
    ),
  },
  closed,
);
export type PendingOtp = Static<typeof PendingOtpSchema>;

/** A WebAuthn assertion (the JSON form of `navigator.credentials.get()`'s answer), size-capped. */
export const WebAuthnAssertionSchema = Type.Object(
  {
    id: B64u(256),
    rawId: B64u(256),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: B64u(4096),
        authenticatorData: B64u(2048),
        signature: B64u(1024),
        userHandle: Type.Optional(B64u(128)),
      },
      closed,
    ),
    clientExtensionResults: Type.Object({}, closed),
    authenticatorAttachment: Type.Optional(Type.Enum(['platform', 'cross-platform'])),
  },
  closed,
);
export type WebAuthnAssertion = Static<typeof WebAuthnAssertionSchema>;

/**
 * POST /mobile/otp/reveal: the proof `reveal.type` asks for — a WebAuthn `assertion`, an App Attest
 * assertion (generateAssertion's CBOR, base64url), or a Play Integrity token. Each body has its own
 * required field, so exactly one shape matches.
 */
export const RevealRequestSchema = Type.Union([
  Type.Object({ txn_id: TxnId, assertion: WebAuthnAssertionSchema }, closed),
  Type.Object({ txn_id: TxnId, app_attest_assertion: B64u(1366) }, closed),
  Type.Object(
    {
      txn_id: TxnId,
      integrity_token: Type.String({ minLength: 1, maxLength: 16384, pattern: '^[A-Za-z0-9_.-]+$' }),
    },
    closed,
  ),
]);
export type RevealRequest = Static<typeof RevealRequestSchema>;
export const RevealResponseSchema = Type.Object(
  { txn_id: TxnId, code: OtpCode, expires_at: IsoTime },
  closed,
);
export type RevealResponse = Static<typeof RevealResponseSchema>;

export const DenyRequestSchema = Type.Object({ txn_id: TxnId }, closed);
export type DenyRequest = Static<typeof DenyRequestSchema>;
export const DenyResponseSchema = Type.Object({ status: Type.Literal('denied') }, closed);
