// The HPKE suites' fixed sizes, apart from the HPKE code so that the wire contracts that use them
// (envelope-format.ts, and through it core/api) load without the HPKE libraries or node:crypto.

/** Raw X25519 key length, public and private; also the length of `enc` in the X25519 suite. */
export const X25519_KEY_BYTES = 32;
/**
 * An uncompressed SEC1 P-256 point (0x04 ‖ x ‖ y): a TPM device's public keys, and the length of
 * `enc` in the P-256 suite (RFC 9180 Npk = Nenc = 65).
 */
export const P256_POINT_BYTES = 65;
/** Poly1305 tag length: a ciphertext is always this much longer than its plaintext. */
export const AEAD_TAG_BYTES = 16;
