// The HPKE suite of software device keys (RFC 9180, base mode):
//   KEM  0x0020 DHKEM(X25519, HKDF-SHA256)
//   KDF  0x0001 HKDF-SHA256
//   AEAD 0x0003 ChaCha20-Poly1305
// Sealing (the backend) and the RFC vectors' multi-message contexts use @hpke/core plus the
// ChaCha20-Poly1305 extension; opening (the daemon) runs hpke-open.ts, whose key schedule wipes every
// secret it derives (the library's would keep them). Its one sibling is the TPM device suite,
// DHKEM(P-256, HKDF-SHA256) with the same KDF and AEAD (hpke-p256.ts); nothing else in the project
// constructs a CipherSuite. Which of the two an envelope uses is its `suite` member.
//
// Why @hpke/core's own X25519 KEM and not @hpke/dhkem-x25519: on Node 20 the core class runs X25519
// through WebCrypto (OpenSSL, constant-time, private key held outside the JS heap); the extension
// runs it in pure-JS BigInt arithmetic and keeps the raw private key in a JS array. Both pass the
// RFC 9180 vectors; the native one is about twice as fast for a seal + open.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { ViworksError } from '../errors/viworks-error.js';
import { wipe } from './bytes.js';
import { type DhkemRecipient, type HpkeCiphertext, hpkeOpenBase } from './hpke-open.js';
import { X25519_KEY_BYTES } from './hpke-sizes.js';
import type { SecretObserver } from './secret-scope.js';

export { HPKE_AEAD_ID, HPKE_KDF_ID } from './hpke-open.js';
export { AEAD_TAG_BYTES, X25519_KEY_BYTES } from './hpke-sizes.js';

export const HPKE_KEM_ID = 0x0020;

/**
 * A device's private key ready for opening: a WebCrypto key pair whose private half is
 * non-extractable. The public half is carried along because HPKE's decap needs pkR, and deriving
 * it per open would cost an extra scalar multiplication.
 */
export type RecipientKey = CryptoKeyPair;

const X25519_ALG = { name: 'X25519' } as const;
// DER prefix of a PKCS#8 PrivateKeyInfo for X25519 (RFC 8410): the raw 32-byte key follows it.
const PKCS8_X25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

let x25519Suite: CipherSuite | undefined;

/** The X25519 suite, built on first use (no work at import time). Tests use it for the RFC vectors. */
export function hpkeSuite(): CipherSuite {
  x25519Suite ??= new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  });
  return x25519Suite;
}

/**
 * A fresh device key pair as raw bytes, for enrollment: the public key goes to the backend, the
 * private key to the device key store. The caller must wipe `privateKey` once it is stored.
 * Any 32 random bytes are a valid X25519 private key (RFC 7748 §5 clamps at use).
 */
export async function generateDeviceKeyPair(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const privateKey = crypto.getRandomValues(new Uint8Array(X25519_KEY_BYTES));
  const pair = await importPrivateKey(privateKey);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { publicKey, privateKey };
}

/** Imports a raw 32-byte X25519 public key (a device key stored by the backend) for sealing. */
export async function importPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.byteLength !== X25519_KEY_BYTES) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['recipient public key: not 32 bytes'] });
  }
  // Extractable: HPKE serializes pkR into the KEM context.
  return crypto.subtle.importKey('raw', raw, X25519_ALG, true, []);
}

/**
 * Imports a raw 32-byte X25519 private key from the device key store. The private half becomes
 * non-extractable; the temporary PKCS#8 encoding is wiped. The caller still owns (and wipes) `raw`.
 */
export async function importPrivateKey(raw: Uint8Array): Promise<RecipientKey> {
  if (raw.byteLength !== X25519_KEY_BYTES) {
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['device private key: not 32 bytes'] });
  }
  const pkcs8 = Buffer.alloc(PKCS8_X25519_PREFIX.length + X25519_KEY_BYTES);
  try {
    pkcs8.set(PKCS8_X25519_PREFIX, 0);
    pkcs8.set(raw, PKCS8_X25519_PREFIX.length);
    const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, X25519_ALG, false, ['deriveBits']);
    // pkR = X25519(sk, 9), computed by OpenSSL from the same bytes.
    const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({
      format: 'der',
      type: 'spki',
    });
    const publicKey = await importPublicKey(spki.subarray(spki.length - X25519_KEY_BYTES));
    return { privateKey, publicKey };
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['device private key: not importable'] });
  } finally {
    wipe(pkcs8);
  }
}

export interface SealParams {
  readonly recipientPublicKey: CryptoKey;
  /** HPKE `info`: binds the protocol and purpose into the key schedule. */
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
  readonly plaintext: Uint8Array;
}

/**
 * Single-shot base-mode seal (with the X25519 suite unless another is given). Crypto failures (e.g. a
 * low-order recipient key) throw VIW_E_SEAL_OPEN_FAILED.
 */
export async function hpkeSeal(
  p: SealParams,
  suite: CipherSuite = hpkeSuite(),
): Promise<{ enc: Uint8Array; ct: Uint8Array }> {
  // hpke-js copies any view it is given into a private buffer that it never wipes, but uses an
  // ArrayBuffer as-is. So it gets an ArrayBuffer copy of our own, which we wipe below.
  const own = new Uint8Array(p.plaintext.byteLength);
  own.set(p.plaintext);
  try {
    const out = await suite.seal(
      { recipientPublicKey: p.recipientPublicKey, info: p.info },
      own.buffer,
      p.aad,
    );
    return { enc: new Uint8Array(out.enc), ct: new Uint8Array(out.ct) };
  } catch (err) {
    throw cryptoFailure(err);
  } finally {
    wipe(own);
  }
}

export interface OpenParams extends HpkeCiphertext {
  readonly recipientKey: RecipientKey;
}

/**
 * Single-shot base-mode open with an X25519 device key: the whole plaintext or
 * VIW_E_SEAL_OPEN_FAILED, nothing in between. Runs hpke-open.ts's key schedule, which leaves no
 * secret intermediate behind; the plaintext is the caller's to wipe. `observe` is for tests.
 */
export async function hpkeOpen(p: OpenParams, observe?: SecretObserver): Promise<Uint8Array> {
  let publicKey: Uint8Array;
  try {
    publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', p.recipientKey.publicKey));
  } catch {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['hpke: DecapError'] });
  }
  const recipient: DhkemRecipient = {
    kemId: HPKE_KEM_ID,
    publicKey,
    dh: (enc) => x25519Dh(p.recipientKey.privateKey, enc),
  };
  return hpkeOpenBase(recipient, p, observe);
}

/** DH(skR, enc) for DHKEM(X25519), with RFC 9180 §7.1.4's check against low-order points. */
async function x25519Dh(privateKey: CryptoKey, enc: Uint8Array): Promise<Uint8Array> {
  if (enc.byteLength !== X25519_KEY_BYTES) throw new Error('enc: not 32 bytes');
  const pkE = await crypto.subtle.importKey('raw', enc, X25519_ALG, false, []);
  // Length null: Node hands back the derived buffer itself, which the open wipes. With a bit length
  // it would return a slice and leave the full output behind, unwiped.
  const dh = new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'X25519', public: pkE }, privateKey, null),
  );
  // OpenSSL already refuses an all-zero output; checked here too so the rule does not rest on it.
  if (dh.reduce((acc, b) => acc | b, 0) === 0) throw new Error('enc: low-order point');
  return dh;
}

// Only the hpke-js error class name goes into details: it says which step failed (DecapError,
// OpenError, ...) and cannot carry key or plaintext bytes. The cause is dropped for the same reason.
function cryptoFailure(err: unknown): ViworksError {
  if (err instanceof ViworksError) return err;
  const step = err instanceof Error ? err.name : 'unknown';
  return new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: [`hpke: ${step}`] });
}
