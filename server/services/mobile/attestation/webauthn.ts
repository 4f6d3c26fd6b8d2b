// Verifies a phone's WebAuthn registration against the attestation policy (policy.ts) with a
// maintained library (@simplewebauthn/server): the challenge we issued, our origin and RP ID, user
// verification, the signature, and a certificate chain that ends at a root the policy names for the
// format. Before the library sees anything, the attestation object is size-capped (schema) and its
// format checked here: `none`, self attestation (no x5c) and formats without configured roots are
// refused — the library would otherwise accept a chain when it has no roots to check it against.
// Every refusal is VIW_E_ATTESTATION_INVALID with a short fixed reason; the library's own message
// (which can quote whole certificates) goes only to the caller's log via `cause`.
import { X509Certificate } from 'node:crypto';
import { SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { type WebAuthnRegistration, WebAuthnRegistrationSchema } from '../../../../core/api/mobile.js';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { cachedValidator } from '../../../../core/schema/strict.js';
import {
  type AttestationPolicy,
  isWebAuthnFormat,
  type TrustRoot,
  trustRoots,
  type WebAuthnFormat,
} from './policy.js';

/** COSE algorithms a phone credential may use: ES256, RS256 (TPM, Windows Hello). */
const SUPPORTED_ALGORITHMS = [-7, -257];

export interface AttestationVerdict {
  readonly format: WebAuthnFormat;
  /** The authenticator model (UUID form). */
  readonly aaguid: string;
  /** Full attestation to a configured root: the key is held by the attested authenticator. */
  readonly hardwareBacked: boolean;
  readonly userVerified: boolean;
  /** Whether the credential can leave the device (passkey sync): a bound phone must not. */
  readonly deviceBound: boolean;
  /** SHA-256 (hex) of the root the chain ends at. */
  readonly trustRoot: string;
  readonly credentialId: string;
  /** The credential public key (COSE), for the assertions at OTP time. */
  readonly credentialPublicKey: Uint8Array;
  readonly counter: number;
}

const refuse = (reason: string, cause?: unknown) =>
  new ViworksError('VIW_E_ATTESTATION_INVALID', { details: [reason], ...(cause ? { cause } : {}) });

function decodeStatement(registration: WebAuthnRegistration): { fmt: unknown; x5c: unknown } {
  const bytes = isoBase64URL.toBuffer(registration.response.attestationObject);
  let decoded: unknown;
  let again: Uint8Array;
  try {
    decoded = isoCBOR.decodeFirst(bytes);
    again = isoCBOR.encode(decoded as Parameters<typeof isoCBOR.encode>[0]);
  } catch (err) {
    throw refuse('attestation object is not valid CBOR', err);
  }
  // The object must be exactly the encoding of what it decodes to: the decoder skips bytes after
  // the item and does not bounds-check a declared length (found by the mutation test), so anything
  // else is refused rather than read leniently.
  if (!Buffer.from(again).equals(Buffer.from(bytes)))
    throw refuse('attestation object is not canonical CBOR');
  if (!(decoded instanceof Map)) throw refuse('attestation object is not a CBOR map');
  const attStmt = decoded.get('attStmt');
  return { fmt: decoded.get('fmt'), x5c: attStmt instanceof Map ? attStmt.get('x5c') : undefined };
}

/** Which configured root the chain's last certificate was issued by (or is). */
function rootOfChain(x5c: readonly Uint8Array[], roots: readonly TrustRoot[]): TrustRoot | null {
  const last = x5c.at(-1);
  if (!last) return null;
  let top: X509Certificate;
  try {
    top = new X509Certificate(last);
  } catch {
    return null;
  }
  return (
    roots.find((r) => top.raw.equals(r.cert.raw)) ??
    roots.find((r) => top.checkIssued(r.cert) && top.verify(r.cert.publicKey)) ??
    null
  );
}

export async function verifyWebAuthnAttestation(
  policy: AttestationPolicy,
  input: unknown,
  expectedChallenge: string,
): Promise<AttestationVerdict> {
  const registration = cachedValidator(WebAuthnRegistrationSchema).parse(input, 'VIW_E_ATTESTATION_INVALID');
  const { fmt, x5c } = decodeStatement(registration);
  if (fmt === 'none') throw refuse('attestation format none proves nothing about the device');
  if (!isWebAuthnFormat(fmt)) throw refuse('attestation format not supported');
  const roots = trustRoots(policy, fmt);
  if (roots.length === 0) throw refuse(`attestation format ${fmt} is not accepted by this backend`);
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => c instanceof Uint8Array)) {
    // packed without x5c is self attestation: the credential vouching for itself.
    throw refuse('self attestation is not accepted');
  }
  const root = rootOfChain(x5c as Uint8Array[], roots);
  if (!root) throw refuse('attestation does not chain to a trusted root');

  // The library reads roots from a process-wide setting; set them for this format every time, so
  // the policy in hand is the one applied (one policy per backend process).
  SettingsService.setRootCertificates({ identifier: fmt, certificates: roots.map((r) => r.pem) });
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: registration as Parameters<typeof verifyRegistrationResponse>[0]['response'],
      expectedChallenge,
      expectedOrigin: policy.origin,
      expectedRPID: policy.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (err) {
    throw refuse('attestation verification failed', err);
  }
  const info = result.registrationInfo;
  if (!result.verified || !info) throw refuse('attestation verification failed');
  if (!info.userVerified) throw refuse('user verification is required');
  return {
    format: fmt,
    aaguid: info.aaguid,
    hardwareBacked: true,
    userVerified: info.userVerified,
    deviceBound: info.credentialDeviceType === 'singleDevice' && !info.credentialBackedUp,
    trustRoot: root.fingerprint,
    credentialId: info.credential.id,
    credentialPublicKey: info.credential.publicKey,
    counter: info.credential.counter,
  };
}
