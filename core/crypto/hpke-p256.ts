// The TPM device suite (RFC 9180, base mode):
//   KEM  0x0010 DHKEM(P-256, HKDF-SHA256)
//   KDF  0x0001 HKDF-SHA256
//   AEAD 0x0003 ChaCha20-Poly1305
// TPMs do not do X25519, so a device whose keys live in a TPM 2.0 has a P-256 key. The KDF and the
// AEAD stay those of the X25519 suite (hpke.ts): only the KEM differs. ChaCha20-Poly1305 rather than
// AES-128-GCM because the AEAD runs in software on both sides anyway (only the DH step is in the TPM),
// one AEAD is one implementation to trust, and RFC 9180 A.5 has vectors for exactly this suite.
//
// Sealing (backend) uses @hpke/core's DHKEM(P-256) on WebCrypto. Opening runs hpke-open.ts (Decap's
// ExtractAndExpand, the key schedule and the AEAD, every secret wiped before it returns) on one of two
// DH steps: WebCrypto ECDH with a software key pair (tests, and the reference), or the key's holder
// doing DH(skR, pkE) itself (the TPM's ECDH_ZGen). Checked against the RFC's A.3 and A.5 vectors
// (hpke-p256.test.ts, hpke-open.test.ts).
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
import { ViworksError } from '../errors/viworks-error.js';
import { secretCopy, wipe } from './bytes.js';
import { type HpkeCiphertext, hpkeOpenBase } from './hpke-open.js';
import { P256_POINT_BYTES } from './hpke-sizes.js';
import type { SecretObserver } from './secret-scope.js';

export const HPKE_P256_KEM_ID = 0x0010;
const P256_ALG = { name: 'ECDH', namedCurve: 'P-256' } as const;

let p256Suite: CipherSuite | undefined;

/** The P-256 suite with @hpke/core's own KEM (software keys): the backend seals with it. */
export function hpkeSuiteP256(): CipherSuite {
  p256Suite ??= new CipherSuite({
    kem: new DhkemP256HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  });
  return p256Suite;
}

/** True when `raw` has the shape of an uncompressed SEC1 point (the curve check is importP256PublicKey's). */
export function isP256PointShape(raw: Uint8Array): boolean {
  return raw.byteLength === P256_POINT_BYTES && raw[0] === 0x04;
}

/**
 * Imports an uncompressed P-256 public key (65 bytes) for sealing. WebCrypto refuses a point that is
 * not on the curve, which is RFC 9180's required public-key validation.
 */
export async function importP256PublicKey(raw: Uint8Array): Promise<CryptoKey> {
  if (!isP256PointShape(raw)) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', {
      details: ['recipient public key: not an uncompressed P-256 point'],
    });
  }
  try {
    // Extractable: HPKE serializes pkR into the KEM context.
    return await crypto.subtle.importKey('raw', new Uint8Array(raw), P256_ALG, true, []);
  } catch {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['recipient public key: not on P-256'] });
  }
}

/** pkE from `enc`, validated (RFC 9180 §7.1.4: uncompressed, on the curve) before any DH with it. */
async function importEnc(enc: Uint8Array): Promise<CryptoKey> {
  if (!isP256PointShape(enc)) throw new Error('enc: not an uncompressed P-256 point');
  return crypto.subtle.importKey('raw', new Uint8Array(enc), P256_ALG, false, []);
}

/**
 * ECDH with the recipient's private key: the x-coordinate (32 bytes) of skR·peer, where `peer` is an
 * uncompressed point already checked to be on the curve. The open wipes the returned buffer.
 */
export type EcdhZ = (peer: Uint8Array) => Promise<Uint8Array>;

export interface OpenP256Params extends HpkeCiphertext {
  /** A software P-256 key pair (WebCrypto ECDH). */
  readonly recipientKey: CryptoKeyPair;
}

/** Single-shot base-mode open with a software P-256 key pair: the plaintext or VIW_E_SEAL_OPEN_FAILED. */
export async function hpkeOpenP256(p: OpenP256Params, observe?: SecretObserver): Promise<Uint8Array> {
  let publicKey: Uint8Array;
  try {
    publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', p.recipientKey.publicKey));
  } catch {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['hpke: DecapError'] });
  }
  const dh = async (enc: Uint8Array): Promise<Uint8Array> => {
    const pkE = await importEnc(enc);
    // Length null: Node hands back the derived buffer itself (a bit length leaves an unwiped copy).
    return new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'ECDH', public: pkE }, p.recipientKey.privateKey, null),
    );
  };
  return hpkeOpenBase({ kemId: HPKE_P256_KEM_ID, publicKey, dh }, p, observe);
}

export interface OpenWithEcdhParams extends HpkeCiphertext {
  /** The recipient's own uncompressed public key (65 bytes). */
  readonly recipientPublicKey: Uint8Array;
  readonly ecdh: EcdhZ;
}

/**
 * Single-shot base-mode open in the P-256 suite with the DH step delegated (a TPM key): the whole
 * plaintext or VIW_E_SEAL_OPEN_FAILED. A key-holder failure (ViworksError, e.g. VIW_E_KEYSTORE) passes
 * through unchanged so that "the TPM is unreachable" is not reported as "not for this device". The
 * key holder's output is copied into memory of the open's own and wiped, as is the copy.
 */
export async function hpkeOpenWithEcdh(p: OpenWithEcdhParams, observe?: SecretObserver): Promise<Uint8Array> {
  await importP256PublicKey(p.recipientPublicKey);
  const dh = async (enc: Uint8Array): Promise<Uint8Array> => {
    await importEnc(enc);
    const z = await p.ecdh(new Uint8Array(enc));
    try {
      return secretCopy(z);
    } finally {
      wipe(z);
    }
  };
  return hpkeOpenBase({ kemId: HPKE_P256_KEM_ID, publicKey: p.recipientPublicKey, dh }, p, observe);
}
