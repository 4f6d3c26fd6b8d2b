// Ed25519 from the device's stored 32-byte seed (RFC 8032), done by OpenSSL through node:crypto.
//
// Why not tweetnacl (which the rest of the project signs with): its keyPair.fromSeed and
// sign.detached expand the seed into SHA-512(seed) — the secret scalar and the nonce prefix — in
// arrays of their own on the JS heap that they never wipe, and the garbage collector keeps old
// copies of them anyway. OpenSSL holds the key outside the JS heap, cleanses its expanded key and
// nonce after each signature and clears the key when it frees it.
//
// The seed reaches OpenSSL as a PKCS#8 encoding built in a secret buffer (off the JS heap, its pages
// locked in the daemon) and wiped as soon as OpenSSL has parsed it. It is passed inline to the
// one-shot crypto.sign rather than through a KeyObject: node keeps the parsed key in its signing job
// either way, and a KeyObject would be a second holder. What OpenSSL keeps is freed — and cleared —
// when V8 collects node's wrappers (the job; the KeyObjects of ed25519PublicKey), not when the call
// returns: JavaScript cannot free it sooner, only ask for a collection.
import { createPrivateKey, createPublicKey, randomFillSync, sign } from 'node:crypto';
import { secretBytes, wipe } from '../../core/crypto/bytes.js';
import { keystoreError } from './keystore.js';

export const ED25519_SEED_BYTES = 32;
const ED25519_PUBLIC_KEY_BYTES = 32;
// DER prefix of a PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410 §7): the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** A fresh seed (CSPRNG) in a secret buffer; the caller wipes it. */
export function newEd25519Seed(): Buffer {
  return randomFillSync(secretBytes(ED25519_SEED_BYTES));
}

/** The 64-byte signature of `message`; byte-identical to any RFC 8032 signer (Ed25519 is deterministic). */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Buffer {
  return withPkcs8(seed, (key) => sign(null, message, { key, format: 'der', type: 'pkcs8' }));
}

/** The public key of `seed` (32 bytes). */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = withPkcs8(seed, (key) =>
    createPublicKey(createPrivateKey({ key, format: 'der', type: 'pkcs8' })).export({
      format: 'der',
      type: 'spki',
    }),
  );
  return Uint8Array.from(spki.subarray(spki.length - ED25519_PUBLIC_KEY_BYTES));
}

function withPkcs8<T>(seed: Uint8Array, use: (pkcs8: Buffer) => T): T {
  if (seed.byteLength !== ED25519_SEED_BYTES) throw keystoreError('signing key: not 32 bytes');
  const pkcs8 = secretBytes(PKCS8_ED25519_PREFIX.length + ED25519_SEED_BYTES);
  try {
    pkcs8.set(PKCS8_ED25519_PREFIX, 0);
    pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
    return use(pkcs8);
  } catch (err) {
    // One stable step for the caller; OpenSSL's text (which names no key bytes) stays in the cause.
    throw keystoreError('signing key: OpenSSL refused it', err);
  } finally {
    wipe(pkcs8);
  }
}
