// The TPM device suite (RFC 9180, base mode):
//   KEM  0x0010 DHKEM(P-256, HKDF-SHA256)
//   KDF  0x0001 HKDF-SHA256
//   AEAD 0x0003 ChaCha20-Poly1305
// TPMs do not do X25519, so a device whose keys live in a TPM 2.0 has a P-256 key. The KDF and the
// AEAD stay those of the X25519 suite (hpke.ts): only the KEM differs. ChaCha20-Poly1305 rather than
// AES-128-GCM because the AEAD runs in software on both sides anyway (only the DH step is in the TPM),
// one AEAD is one implementation to trust, and RFC 9180 A.5 has vectors for exactly this suite.
//
// Sealing (backend) and opening with a software P-256 key (tests) use @hpke/core's DHKEM(P-256) on
// WebCrypto. Opening with a TPM key uses ExternalDhkemP256: the one step of Decap that needs the
// private key, DH(skR, pkE), is done by the key's holder (the TPM's ECDH_ZGen); this file does the
// rest of RFC 9180 §4.1 — shared_secret = ExtractAndExpand(dh, enc ‖ pkRm) — with @hpke/core's
// labeled HKDF. Checked against the RFC's A.3 and A.5 vectors (hpke-p256.test.ts).
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import {
  CipherSuite,
  DecapError,
  DhkemP256HkdfSha256,
  HkdfSha256,
  type KemInterface,
  NotSupportedError,
  type RecipientContextParams,
} from '@hpke/core';
import { ViworksError } from '../errors/viworks-error.js';
import { wipe } from './bytes.js';
import { hpkeOpen } from './hpke.js';
import { P256_POINT_BYTES } from './hpke-sizes.js';

export const HPKE_P256_KEM_ID = 0x0010;
/** Nsecret and Ndh of DHKEM(P-256, HKDF-SHA256): the DH output is the x-coordinate, 32 bytes. */
const P256_DH_BYTES = 32;
// suite_id of the KEM (RFC 9180 §4.1): "KEM" ‖ I2OSP(kem_id, 2).
const KEM_SUITE_ID = Uint8Array.from([0x4b, 0x45, 0x4d, 0x00, 0x10]);
const LABEL_EAE_PRK = new TextEncoder().encode('eae_prk');
const LABEL_SHARED_SECRET = new TextEncoder().encode('shared_secret');
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

/**
 * ECDH with the recipient's private key: the x-coordinate (32 bytes) of skR·peer, where `peer` is an
 * uncompressed point already checked to be on the curve. The caller of `open` wipes the result.
 */
export type EcdhZ = (peer: Uint8Array) => Promise<Uint8Array>;

/** RFC 9180 §4.1: shared_secret = ExtractAndExpand(dh, kem_context = enc ‖ pkRm) for DHKEM(P-256). */
export async function dhkemP256SharedSecret(
  dh: Uint8Array,
  enc: Uint8Array,
  pkRm: Uint8Array,
): Promise<Uint8Array> {
  const kdf = new HkdfSha256();
  kdf.init(KEM_SUITE_ID);
  const kemContext = new Uint8Array(enc.byteLength + pkRm.byteLength);
  kemContext.set(enc, 0);
  kemContext.set(pkRm, enc.byteLength);
  const prk = new Uint8Array(await kdf.labeledExtract(new Uint8Array(0), LABEL_EAE_PRK, dh));
  try {
    return new Uint8Array(await kdf.labeledExpand(prk, LABEL_SHARED_SECRET, kemContext, P256_DH_BYTES));
  } finally {
    wipe(prk);
  }
}

/**
 * DHKEM(P-256, HKDF-SHA256) for a recipient whose private key is held elsewhere (a TPM): decap only,
 * base mode only. Everything public (key (de)serialization) is delegated to @hpke/core's KEM.
 */
export class ExternalDhkemP256 implements KemInterface {
  readonly id = HPKE_P256_KEM_ID as KemInterface['id'];
  readonly secretSize = P256_DH_BYTES;
  readonly encSize = P256_POINT_BYTES;
  readonly publicKeySize = P256_POINT_BYTES;
  readonly privateKeySize = P256_DH_BYTES;
  private readonly inner = new DhkemP256HkdfSha256();

  /** `pkRm`: the recipient's own uncompressed public key (part of the KEM context). */
  constructor(
    private readonly pkRm: Uint8Array,
    private readonly ecdh: EcdhZ,
  ) {}

  serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
    return this.inner.serializePublicKey(key);
  }
  deserializePublicKey(key: ArrayBufferLike | ArrayBufferView): Promise<CryptoKey> {
    return this.inner.deserializePublicKey(key);
  }
  serializePrivateKey(): Promise<ArrayBuffer> {
    throw new NotSupportedError('the private key does not leave its holder');
  }
  deserializePrivateKey(): Promise<CryptoKey> {
    throw new NotSupportedError('the private key does not leave its holder');
  }
  importKey(
    format: 'raw' | 'jwk',
    key: Parameters<KemInterface['importKey']>[1],
    isPublic = true,
  ): Promise<CryptoKey> {
    if (!isPublic) throw new NotSupportedError('public keys only');
    return this.inner.importKey(format, key, true);
  }
  generateKeyPair(): Promise<CryptoKeyPair> {
    throw new NotSupportedError('open only');
  }
  deriveKeyPair(): Promise<CryptoKeyPair> {
    throw new NotSupportedError('open only');
  }
  encap(): Promise<{ sharedSecret: ArrayBuffer; enc: ArrayBuffer }> {
    throw new NotSupportedError('open only');
  }

  async decap(params: RecipientContextParams): Promise<ArrayBuffer> {
    if (params.senderPublicKey !== undefined) throw new DecapError('base mode only');
    const e = params.enc;
    const enc = ArrayBuffer.isView(e)
      ? new Uint8Array(e.buffer, e.byteOffset, e.byteLength).slice()
      : new Uint8Array(e).slice();
    if (!isP256PointShape(enc)) throw new DecapError('enc: not an uncompressed P-256 point');
    // Partial public-key validation (RFC 9180 §7.1.4) before the point reaches the key holder.
    await this.inner.deserializePublicKey(enc);
    let dh: Uint8Array | undefined;
    try {
      dh = await this.ecdh(enc);
      if (dh.byteLength !== P256_DH_BYTES) throw new DecapError('ecdh: not 32 bytes');
      const ss = await dhkemP256SharedSecret(dh, enc, this.pkRm);
      try {
        // @hpke/core takes an ArrayBuffer (and keeps it); our view of it is wiped.
        return ss.slice().buffer;
      } finally {
        wipe(ss);
      }
    } catch (err) {
      if (err instanceof DecapError || err instanceof ViworksError) throw err;
      throw new DecapError(err);
    } finally {
      wipe(dh);
    }
  }
}

export interface OpenWithEcdhParams {
  /** The recipient's own uncompressed public key (65 bytes). */
  readonly recipientPublicKey: Uint8Array;
  readonly ecdh: EcdhZ;
  readonly enc: Uint8Array;
  readonly info: Uint8Array;
  readonly aad: Uint8Array;
  readonly ct: Uint8Array;
}

/**
 * Single-shot base-mode open in the P-256 suite with the DH step delegated (a TPM key): the whole
 * plaintext or VIW_E_SEAL_OPEN_FAILED. A key-holder failure (ViworksError, e.g. VIW_E_KEYSTORE) passes
 * through unchanged so that "the TPM is unreachable" is not reported as "not for this device".
 */
export async function hpkeOpenWithEcdh(p: OpenWithEcdhParams): Promise<Uint8Array> {
  const publicKey = await importP256PublicKey(p.recipientPublicKey);
  const suite = new CipherSuite({
    kem: new ExternalDhkemP256(p.recipientPublicKey, p.ecdh),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  });
  // The KEM ignores recipientKey (it holds pkRm and the DH); the public key fills the slot.
  return hpkeOpen({ recipientKey: publicKey, enc: p.enc, info: p.info, aad: p.aad, ct: p.ct }, suite);
}
