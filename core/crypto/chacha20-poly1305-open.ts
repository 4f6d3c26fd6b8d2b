// ChaCha20-Poly1305 decryption (RFC 8439 §2.8) that leaves no copy of the key, the keystream or the
// plaintext behind, for the HPKE open path (hpke-open.ts).
//
// Why not a plain decipher: node:crypto's update() writes its output into a buffer one byte larger
// than needed for a stream cipher, copies it into an exact one and frees the first without wiping it.
// A decipher's output is the plaintext, so a copy of the plaintext would stay in freed memory. And the
// pure-JS ChaCha20 inside @hpke/chacha20poly1305 copies the key into small typed arrays that V8 keeps
// on its heap; the copies it zeroes are moved ones, and the originals stay behind (hpke-open-memory.test.ts
// found exactly that). So the work is done by OpenSSL, and only non-secret or masked output passes
// through update():
//   1. keystream under a one-time mask: encrypt R (fresh random bytes, ours) → R ⊕ KS. The freed
//      copy holds R ⊕ KS, which reveals nothing without R, and R is wiped;
//   2. plaintext = ct ⊕ (R ⊕ KS) ⊕ R, written straight into our own memory;
//   3. authenticity: encrypt that plaintext with the same AAD. RFC 8439 encryption is deterministic,
//      so the result must be the received ct and tag (compared in constant time); the freed copy holds
//      only the ciphertext, which is public.
// Steps 1 and 3 reuse the key and nonce, but their output is never sent anywhere: they compute the
// keystream and the tag locally, which is all decryption does. final() frees OpenSSL's context, which
// cleanses its copies of the key, the nonce, the keystream and the Poly1305 state.
import { createCipheriv, randomFillSync, timingSafeEqual } from 'node:crypto';
import { secretBytes, wipe } from './bytes.js';
import { AEAD_TAG_BYTES } from './hpke-sizes.js';

const EMPTY = new Uint8Array(0);

/**
 * The plaintext of `ct` (ciphertext ‖ 16-byte tag) under a 32-byte key and 12-byte nonce, or null
 * when it does not authenticate. The plaintext is a secretBytes buffer of its own, the caller's to
 * wipe. `key` and `nonce` are read in place; keep them off the JS heap (secretBytes) so that not
 * even Node's argument handling copies them.
 */
export function chacha20Poly1305Open(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Uint8Array | null {
  if (ct.byteLength < AEAD_TAG_BYTES) return null;
  const n = ct.byteLength - AEAD_TAG_BYTES;
  const body = ct.subarray(0, n);
  const tag = ct.subarray(n);
  const mask = secretBytes(n);
  const pt = new Uint8Array(secretBytes(n).buffer, 0, n);
  let maskedKeystream: Buffer | undefined;
  try {
    randomFillSync(mask);
    maskedKeystream = encrypt(key, nonce, EMPTY, mask).body;
    for (let i = 0; i < n; i++) pt[i] = body[i]! ^ maskedKeystream[i]! ^ mask[i]!;
    const again = encrypt(key, nonce, aad, pt);
    // The ciphertext check cannot fail when the tag matches; it guards the construction itself.
    const authentic = timingSafeEqual(again.tag, tag) && again.body.equals(body);
    if (!authentic) {
      wipe(pt);
      return null;
    }
    return pt;
  } catch (err) {
    wipe(pt);
    throw err;
  } finally {
    wipe(mask, maskedKeystream);
  }
}

/** RFC 8439 AEAD encryption; the context is freed (cleansed) before this returns. */
function encrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  data: Uint8Array,
): { body: Buffer; tag: Buffer } {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: data.byteLength });
  const body = data.byteLength > 0 ? cipher.update(data) : Buffer.alloc(0);
  cipher.final();
  return { body, tag: cipher.getAuthTag() };
}
