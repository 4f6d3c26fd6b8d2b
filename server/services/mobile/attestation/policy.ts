// Which phone attestations production accepts: the one policy every verifier answers to. Nothing is
// accepted by default — an organisation names the formats it takes and, for each, the roots an
// attestation must chain to (its own managed-authenticator CA, Google's hardware attestation roots,
// Apple's WebAuthn root, TPM vendor roots). `none` and self attestation prove nothing about the
// device and are never accepted, whatever the configuration says.
import { createHash, X509Certificate } from 'node:crypto';

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
}

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
