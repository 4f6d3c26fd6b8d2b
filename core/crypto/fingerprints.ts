// The fingerprints that name a desktop device and a phone key. They live here, not beside the wire
// contracts in core/api, because they need node:crypto and the contracts must also load in a
// browser (the phone app bundles core/api; it computes the phone fingerprint with WebCrypto).
import { createHash } from 'node:crypto';

/**
 * The device fingerprint admins compare when approving: SHA-256 (lower-case hex) over the raw HPKE
 * public key followed by the raw signing public key — X25519 ‖ Ed25519 (32 + 32 bytes), or for a TPM
 * device (key type p256) the two uncompressed P-256 points (65 + 65). The server recomputes it and
 * refuses a request whose claimed fingerprint differs.
 */
export function deviceFingerprint(hpkePublicKey: Uint8Array, signingPublicKey: Uint8Array): string {
  return createHash('sha256').update(hpkePublicKey).update(signingPublicKey).digest('hex');
}

/** The phone key's fingerprint: SHA-256 (lower-case hex) of the raw Ed25519 public key. */
export function phoneFingerprint(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex');
}
