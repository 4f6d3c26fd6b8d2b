// Verifies a phone's WebAuthn registration against the attestation policy (policy.ts) with a
// maintained library (@simplewebauthn/server): the challenge we issued, our origin and RP ID, user
// verification, the signature, and a certificate chain that ends at a root the policy names for the
// format. Before the library sees anything, the attestation object is size-capped (schema) and its
// format checked here: `none`, self attestation (no x5c) and formats without configured roots are
// refused — the library would otherwise accept a chain when it has no roots to check it against.
// Every refusal is VIW_E_ATTESTATION_INVALID with a short fixed reason; the library's own message
// (which can quote whole certificates) goes only to the caller's log via `cause`.
import { X509Certificate } from 'node:crypto';
import {
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import {
  WebAuthnAssertionSchema,
  type WebAuthnRegistration,
  WebAuthnRegistrationSchema,
} from '../../../../core/api/mobile.js';
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
const ES256 = -7;
const SUPPORTED_ALGORITHMS = [ES256, -257];

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

/**
 * An ECDSA signature in strict DER: SEQUENCE { INTEGER r, INTEGER s }, short-form lengths that add
 * up exactly, minimal integers. The library reads the two integers and ignores the outer length,
 * so a signature re-encoded with another SEQUENCE length still verified (found by the mutation
 * test): the same signature in a second encoding is refused rather than accepted.
 */
export function isStrictDerEcdsa(sig: Uint8Array): boolean {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return false;
  let at = 2;
  for (let k = 0; k < 2; k++) {
    if (sig[at] !== 0x02) return false;
    const len = sig[at + 1] ?? 0;
    if (len < 1 || len > 33 || at + 2 + len > sig.length) return false;
    const first = sig[at + 2] ?? 0;
    const second = sig[at + 3] ?? 0;
    // Minimal: no sign bit set (positive), and no leading zero unless the next byte needs it.
    if (first & 0x80 || (first === 0 && len > 1 && !(second & 0x80))) return false;
    at += 2 + len;
  }
  return at === sig.length;
}

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
  if (attStmt instanceof Map && attStmt.get('alg') === ES256) {
    const sig = attStmt.get('sig');
    if (!(sig instanceof Uint8Array) || !isStrictDerEcdsa(sig))
      throw refuse('attestation signature is not strict DER');
  }
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

/**
 * A root that is itself an attestation certificate (not a CA) pins one attestation key: the
 * statement must carry exactly one certificate, self-signed with that same key, valid now.
 * Throws when the root is such a pin and the chain is anything else; false for CA roots.
 */
function pinnedKeyChain(x5c: readonly Uint8Array[], root: TrustRoot): boolean {
  if (root.cert.ca) return false;
  const only = x5c.length === 1 ? x5c[0] : undefined;
  if (!only) throw refuse('attestation does not chain to a trusted root');
  const leaf = new X509Certificate(only);
  const now = Date.now();
  const ok =
    leaf.publicKey.equals(root.cert.publicKey) &&
    leaf.checkIssued(leaf) &&
    leaf.verify(leaf.publicKey) &&
    Date.parse(leaf.validFrom) <= now &&
    now <= Date.parse(leaf.validTo);
  if (!ok) throw refuse('attestation does not chain to a trusted root');
  return true;
}

let verifying: Promise<unknown> = Promise.resolve();
/** Runs verifications one after another (binds are rare; the library's settings are global). */
function oneAtATime<T>(run: () => Promise<T>): Promise<T> {
  const next = verifying.then(run, run);
  verifying = next.catch(() => undefined);
  return next;
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
  const pinned = pinnedKeyChain(x5c as Uint8Array[], root);

  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    // The library reads roots from a process-wide setting: set them for this format and verify
    // under one lock, so a concurrent bind cannot swap them in between. A pinned attestation key
    // (below) was checked here, and the library's path builder stops at a self-signed leaf, so it
    // gets no roots then — which makes it skip only the path, not the signature or the statement.
    result = await oneAtATime(() => {
      SettingsService.setRootCertificates({
        identifier: fmt,
        certificates: pinned ? [] : roots.map((r) => r.pem),
      });
      return verifyRegistrationResponse({
        response: registration as Parameters<typeof verifyRegistrationResponse>[0]['response'],
        expectedChallenge,
        expectedOrigin: policy.origin,
        expectedRPID: policy.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
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

/** The credential a phone was bound with (from its row). */
export interface BoundCredential {
  readonly id: string;
  /** COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
}

/**
 * Verifies a user-verified assertion by the phone's bound credential over `expectedChallenge`;
 * returns the new signature counter (a counter that does not rise, where the authenticator keeps
 * one, is a cloned credential: refused).
 */
export async function verifyWebAuthnAssertion(
  policy: Pick<AttestationPolicy, 'rpId' | 'origin'>,
  credential: BoundCredential,
  input: unknown,
  expectedChallenge: string,
): Promise<number> {
  const assertion = cachedValidator(WebAuthnAssertionSchema).parse(input, 'VIW_E_ATTESTATION_INVALID');
  if (assertion.id !== credential.id) throw refuse('not the credential this phone was bound with');
  const publicKey = new Uint8Array(Buffer.from(credential.publicKey, 'base64url'));
  // An EC2 (kty 2) credential signs ECDSA: the same strict-DER rule as at bind.
  const cose = isoCBOR.decodeFirst<Map<number, unknown>>(publicKey);
  if (cose.get(1) === 2 && !isStrictDerEcdsa(Buffer.from(assertion.response.signature, 'base64url'))) {
    throw refuse('assertion signature is not strict DER');
  }
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    result = await verifyAuthenticationResponse({
      response: assertion as Parameters<typeof verifyAuthenticationResponse>[0]['response'],
      expectedChallenge,
      expectedOrigin: policy.origin,
      expectedRPID: policy.rpId,
      credential: { id: credential.id, publicKey, counter: credential.counter },
      requireUserVerification: true,
    });
  } catch (err) {
    throw refuse('assertion verification failed', err);
  }
  if (!result.verified) throw refuse('assertion verification failed');
  return result.authenticationInfo.newCounter;
}
