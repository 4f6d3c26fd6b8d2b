// The native apps' evidence at bind: an App Attest attestation (iOS) or a Play Integrity verdict
// (Android), each accepted only when this backend is configured for it (policy.ts, load.ts).
//
// Both bind the one-time bind challenge (POST /mobile/bind/options: tied to the bind code and the
// phone's new Ed25519 request-signing key) and that key itself, through the bind client data:
//   clientData = UTF-8 "viworks-phone-bind-v1:" ‖ challenge ‖ ":" ‖ public_key   (both base64url, as sent)
// App Attest: attestKey(clientDataHash = SHA-256(clientData)); Apple signs it into the certificate.
// Play Integrity: a classic request with nonce = base64url(SHA-256(clientData)), no padding.
// So evidence made for another challenge, another bind code or another phone key is refused, and
// the signed bind request ties the evidence to the key that signs every later request.
// Reveal (GET /mobile/otp → POST /mobile/otp/reveal) uses the same construction with its own label
// (revealClientData): see reveal.ts.
import { createHash } from 'node:crypto';
import type { AppAttestAttestation, PlayIntegrityAttestation } from '../../../../core/api/mobile.js';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { verifyAppAttestAttestation } from './app-attest.js';
import type { AttestationPolicy, NativeAttestationType } from './policy.js';
import type { BoundAttestation } from './verdict.js';

export type NativeAttestation = AppAttestAttestation | PlayIntegrityAttestation;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
const refuse = (reason: string) => new ViworksError('VIW_E_ATTESTATION_INVALID', { details: [reason] });

/** The bytes a native app hashes at bind (see the header). */
export function bindClientData(challenge: string, publicKey: string): Buffer {
  return Buffer.from(`viworks-phone-bind-v1:${challenge}:${publicKey}`, 'utf8');
}

/** The bytes a native app hashes to reveal a code: the reveal challenge and the transaction. */
export function revealClientData(challenge: string, txnId: string): Buffer {
  return Buffer.from(`viworks-phone-reveal-v1:${challenge}:${txnId}`, 'utf8');
}

/** App Attest's clientDataHash for client data. */
export const clientDataHash = (clientData: Uint8Array): Buffer => sha256(clientData);

/** The Play Integrity nonce for client data: base64url (no padding) of its SHA-256, 43 characters. */
export const integrityNonce = (clientData: Uint8Array): string => sha256(clientData).toString('base64url');

/** Whether this backend is configured to accept `type` (nothing is, by default). */
export function nativeAccepted(policy: AttestationPolicy, type: NativeAttestationType): boolean {
  return type === 'app_attest' ? policy.appAttest !== undefined : policy.playIntegrity !== undefined;
}

/** The refusal for a native format this backend is not configured for (a fixed reason). */
export const notAccepted = (type: NativeAttestationType) =>
  refuse(`attestation format ${type} is not accepted by this backend`);

const PLATFORM: Readonly<Record<NativeAttestationType, 'ios' | 'android'>> = {
  app_attest: 'ios',
  play_integrity: 'android',
};

/** Strict base64url: exactly one string encodes given bytes (the schema checked the alphabet). */
function b64urlBytes(s: string, what: string): Buffer {
  const bytes = Buffer.from(s, 'base64url');
  if (bytes.toString('base64url') !== s) throw refuse(`${what} is not canonical base64url`);
  return bytes;
}

export interface NativeBindInput {
  readonly platform: 'ios' | 'android';
  /** The one-time challenge taken for this bind code and key. */
  readonly challenge: string;
  /** The phone's Ed25519 request-signing key, base64url as sent. */
  readonly publicKey: string;
}

/** Checks the platform a native evidence type belongs to (before any state is used). */
export function checkNativePlatform(type: NativeAttestationType, platform: 'ios' | 'android'): void {
  if (PLATFORM[type] !== platform) throw refuse(`${type} evidence must come from an ${PLATFORM[type]} phone`);
}

/** Verifies native evidence for a bind; throws VIW_E_ATTESTATION_INVALID (fixed reason) when refused. */
export function verifyNativeBind(
  policy: AttestationPolicy,
  evidence: NativeAttestation,
  input: NativeBindInput,
  now: Date,
): BoundAttestation {
  checkNativePlatform(evidence.type, input.platform);
  const clientData = bindClientData(input.challenge, input.publicKey);
  if (evidence.type === 'app_attest') {
    const aa = policy.appAttest;
    if (!aa) throw notAccepted('app_attest');
    const v = verifyAppAttestAttestation(
      aa.config,
      {
        keyId: evidence.key_id,
        attestationObject: b64urlBytes(evidence.attestation_object, 'attestation object'),
        clientDataHash: clientDataHash(clientData),
      },
      now,
    );
    return {
      format: v.format,
      aaguid: null,
      trustRoot: aa.rootFingerprint,
      hardwareBacked: true, // a Secure Enclave key, vouched for by Apple
      userVerified: false, // App Attest says nothing about who holds the phone
      credentialId: Buffer.from(v.keyId, 'base64').toString('base64url'),
      credentialKey: Buffer.from(v.publicKey).toString('base64url'),
      counter: v.counter,
      appId: aa.config.appId,
      appEnvironment: v.environment,
      appSigner: null,
      deviceIntegrity: null,
      note: `App Attest attestation (app ${aa.config.appId}, ${v.environment} environment, root ${aa.rootFingerprint.slice(0, 16)})`,
    };
  }
  const pi = policy.playIntegrity;
  if (!pi) throw notAccepted('play_integrity');
  const v = pi.verify(evidence.token, integrityNonce(clientData), now.getTime());
  const labels = v.deviceIntegrity.join(',');
  return {
    format: v.format,
    aaguid: null,
    trustRoot: pi.keyFingerprint,
    hardwareBacked: v.hardwareBacked,
    userVerified: false,
    credentialId: null,
    credentialKey: null,
    counter: 0,
    appId: v.packageName,
    appEnvironment: null,
    appSigner: v.certificateDigest,
    deviceIntegrity: labels,
    note: `Play Integrity verdict (package ${v.packageName}, ${labels}, signer ${v.certificateDigest.slice(0, 16)}, licensing ${v.appLicensing ?? 'not evaluated'})`,
  };
}
