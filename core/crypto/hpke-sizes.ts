// The HPKE suite's fixed sizes, apart from the HPKE code so that the wire contracts that use them
// (envelope-format.ts, and through it core/api) load without the HPKE libraries or node:crypto.

/** Raw X25519 key length, public and private; also the length of `enc`. */
export const X25519_KEY_BYTES = 32;
/** Poly1305 tag length: a ciphertext is always this much longer than its plaintext. */
export const AEAD_TAG_BYTES = 16;
