// What a verified attestation leaves on the phone's record (MobileDevice) and in the `mobile.bind`
// audit event, whichever format proved it: one shape, so that binding stores and audits every
// format alike. No key material: public keys and fingerprints only.
import type { AttestationVerdict } from './webauthn.js';

export interface BoundAttestation {
  /** packed, android-key, … (WebAuthn), apple_app_attest or play_integrity. */
  readonly format: string;
  /** The authenticator model (WebAuthn), else null. */
  readonly aaguid: string | null;
  /** SHA-256 (hex) of what vouched: the root the chain ended at, or Play's verification key. */
  readonly trustRoot: string;
  readonly hardwareBacked: boolean;
  readonly userVerified: boolean;
  /** The key the phone proves itself with at reveal (WebAuthn credential, App Attest key), base64url. */
  readonly credentialId: string | null;
  /** Its public key, base64url (COSE for WebAuthn, SPKI DER for App Attest). */
  readonly credentialKey: string | null;
  readonly counter: number;
  /** Native apps: the attested app, App Attest's environment, Play's signer and device labels. */
  readonly appId: string | null;
  readonly appEnvironment: string | null;
  readonly appSigner: string | null;
  readonly deviceIntegrity: string | null;
  /** One line for the audit event (no secrets). */
  readonly note: string;
}

export function fromWebAuthn(v: AttestationVerdict): BoundAttestation {
  return {
    format: v.format,
    aaguid: v.aaguid,
    trustRoot: v.trustRoot,
    hardwareBacked: v.hardwareBacked,
    userVerified: v.userVerified,
    credentialId: v.credentialId,
    credentialKey: Buffer.from(v.credentialPublicKey).toString('base64url'),
    counter: v.counter,
    appId: null,
    appEnvironment: null,
    appSigner: null,
    deviceIntegrity: null,
    note: `${v.format} attestation (aaguid ${v.aaguid}, root ${v.trustRoot.slice(0, 16)}, user verified)`,
  };
}

/** The record's columns for a bound attestation. */
export function attestationColumns(a: BoundAttestation, at: Date) {
  return {
    attestedAt: at,
    attestationFormat: a.format,
    aaguid: a.aaguid,
    trustRoot: a.trustRoot,
    hardwareBacked: a.hardwareBacked,
    userVerified: a.userVerified,
    credentialId: a.credentialId,
    credentialKey: a.credentialKey,
    signCount: a.counter,
    appId: a.appId,
    appEnvironment: a.appEnvironment,
    appSigner: a.appSigner,
    deviceIntegrity: a.deviceIntegrity,
  };
}
