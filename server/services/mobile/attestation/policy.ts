// Which phone attestations production accepts: the one policy every verifier answers to. Nothing is
// accepted by default — an organisation names the formats it takes and, for each, the roots an
// attestation must chain to (its own managed-authenticator CA, Google's hardware attestation roots,
// Apple's WebAuthn root, TPM vendor roots). `none` and self attestation prove nothing about the
// device and are never accepted, whatever the configuration says.
import { createHash, X509Certificate } from 'node:crypto';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { AppAttestConfig } from './app-attest.js';
import type { PlayIntegrityVerifier } from './play-integrity.js';

/** WebAuthn attestation formats that can chain to a root (W3C WebAuthn §8). */
export const WEBAUTHN_FORMATS = ['packed', 'android-key', 'android-safetynet', 'apple', 'tpm'] as const;
export type WebAuthnFormat = (typeof WEBAUTHN_FORMATS)[number];

export interface AttestationPolicy {
  /** The relying party: the backend's public host name (the WebAuthn RP ID). */
  readonly rpId: string;
  /** The phone app's origin (https://host[:port]); a credential made for another is refused. */
  readonly origin: string;
  /** Accepted formats and, for each, the trust roots (PEM) its chain must end at. */
  readonly roots: Readonly<Partial<Record<WebAuthnFormat, readonly string[]>>>;
  /** The native iOS app's App Attest; absent: App Attest evidence is refused. */
  readonly appAttest?: NativeAppAttest;
  /** The native Android app's Play Integrity verdicts; absent: refused. */
  readonly playIntegrity?: NativePlayIntegrity;
}

export interface NativeAppAttest {
  readonly config: AppAttestConfig;
  /** SHA-256 (hex) of the configured App Attestation root: what a verdict names. */
  readonly rootFingerprint: string;
}

export interface NativePlayIntegrity {
  readonly verify: PlayIntegrityVerifier;
  readonly packageName: string;
  /** SHA-256 (hex) of the configured verification key (DER SPKI): what a verdict names. */
  readonly keyFingerprint: string;
}

/** The evidence types of the native apps (core/api/mobile.ts), each behind its own configuration. */
export type NativeAttestationType = 'app_attest' | 'play_integrity';

export interface TrustRoot {
  readonly pem: string;
  /** SHA-256 of the root's DER, hex: what a verdict names. */
  readonly fingerprint: string;
  readonly cert: X509Certificate;
}

export function trustRoots(policy: AttestationPolicy, format: WebAuthnFormat): TrustRoot[] {
  return (policy.roots[format] ?? []).map((pem) => {
    const cert = new X509Certificate(pem);
    return { pem, cert, fingerprint: createHash('sha256').update(cert.raw).digest('hex') };
  });
}

export function isWebAuthnFormat(fmt: unknown): fmt is WebAuthnFormat {
  return typeof fmt === 'string' && (WEBAUTHN_FORMATS as readonly string[]).includes(fmt);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;

/**
 * The configured trust roots, read once at start: every file must hold at least one certificate,
 * each a CA or a self-signed attestation certificate, or the start fails with VIW_E_CONFIG naming
 * the setting (fail closed, never skipped). A self-signed attestation certificate pins one model's
 * attestation key (FIDO metadata lists some models' batch certificates as their roots this way).
 */
export function loadAttestationRoots(
  files: Readonly<Partial<Record<WebAuthnFormat, string>>>,
  read: (path: string) => string,
): Partial<Record<WebAuthnFormat, string[]>> {
  const roots: Partial<Record<WebAuthnFormat, string[]>> = {};
  for (const [format, path] of Object.entries(files) as Array<[WebAuthnFormat, string]>) {
    const bad = (why: string) =>
      new ViworksError('VIW_E_CONFIG', { details: [`attestationRoots.${format}: ${why}`] });
    let text: string;
    try {
      text = read(path);
    } catch {
      throw bad(`cannot read ${path}`);
    }
    const pems = text.match(PEM_BLOCK) ?? [];
    if (pems.length === 0) throw bad(`no PEM certificate in ${path}`);
    for (const pem of pems) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch {
        throw bad(`a certificate in ${path} does not parse`);
      }
      const selfSigned = cert.checkIssued(cert) && cert.verify(cert.publicKey);
      if (!cert.ca && !selfSigned) throw bad(`a certificate in ${path} is neither a CA nor self-signed`);
    }
    roots[format] = pems;
  }
  return roots;
}
