// Device-signed requests. A desktop (or phone) proves possession of its enrolled signing key on
// every sensitive call: Ed25519, or ECDSA P-256 with SHA-256 for a desktop whose keys are in a TPM 2.0
// (TPMs do not do Ed25519; the signature travels as r ‖ s, 64 bytes, like an Ed25519 one). The signature covers the method, the path, a timestamp, a one-time nonce
// and the SHA-256 of the exact body bytes, so a captured request can be neither altered nor
// replayed (the server keeps each nonce for the whole acceptance window).
// This is the Node side (daemon, simulator, backend); the phone app in a browser signs the same text
// (signing-text.ts) with WebCrypto (web-request-signing.ts). Verification — the backend's hot path — uses node:crypto (OpenSSL), measured ~70x faster
// than tweetnacl's pure-JS verify (bench/api-flow); both implement the same RFC 8032 Ed25519.
import { createHash, createPublicKey, verify as cryptoVerify, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { ViworksError } from '../errors/viworks-error.js';
import { b64Decode } from './bytes.js';
import { SIG_HEADERS, type SignedHeaders, signingText } from './signing-text.js';

export { SIG_HEADERS, SIGNATURE_SCHEME, type SignedHeaders } from './signing-text.js';

/** The signature algorithms a key may use; a desktop's follows from its key type. */
export const SIGNATURE_ALGS = ['ed25519', 'ecdsa-p256-sha256'] as const;
export type SignatureAlg = (typeof SIGNATURE_ALGS)[number];
/** Uncompressed SEC1 P-256 point. */
const P256_POINT_BYTES = 65;

/** How far the signer's clock may be from the verifier's (and how long nonces are remembered). */
export const SIGNATURE_WINDOW_MS = 60_000;

export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  /** 64-byte tweetnacl secret key (seed ‖ public key). Wipe with `fill(0)` when done. */
  readonly secretKey: Uint8Array;
}

export function generateSigningKeyPair(): Ed25519KeyPair {
  return nacl.sign.keyPair.fromSeed(randomBytes(32));
}

function signingInput(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): Uint8Array {
  return signingText(method, path, timestamp, nonce, createHash('sha256').update(body).digest('hex'));
}

/** Headers to send with `method path body`, signed by `keyId`'s secret key. */
export function signRequest(
  keyId: string,
  secretKey: Uint8Array,
  method: string,
  path: string,
  body: Uint8Array,
  now: number = Date.now(),
): SignedHeaders {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString('base64url');
  const sig = nacl.sign.detached(signingInput(method, path, timestamp, nonce, body), secretKey);
  return {
    [SIG_HEADERS.keyId]: keyId,
    [SIG_HEADERS.timestamp]: timestamp,
    [SIG_HEADERS.nonce]: nonce,
    [SIG_HEADERS.signature]: Buffer.from(sig).toString('base64'),
  };
}

/**
 * Headers for `method path body` signed by a key held elsewhere (a TPM): `sign` gets the exact
 * signed text and returns the 64-byte signature (ECDSA P-256 as r ‖ s over its SHA-256).
 */
export async function signRequestWith(
  keyId: string,
  sign: (text: Uint8Array) => Promise<Uint8Array>,
  method: string,
  path: string,
  body: Uint8Array,
  now: number = Date.now(),
): Promise<SignedHeaders> {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString('base64url');
  const sig = await sign(signingInput(method, path, timestamp, nonce, body));
  if (sig.length !== nacl.sign.signatureLength) {
    throw new ViworksError('VIW_E_KEYSTORE', { details: ['signature: not 64 bytes'] });
  }
  return {
    [SIG_HEADERS.keyId]: keyId,
    [SIG_HEADERS.timestamp]: timestamp,
    [SIG_HEADERS.nonce]: nonce,
    [SIG_HEADERS.signature]: Buffer.from(sig).toString('base64'),
  };
}

export interface SignatureClaims {
  readonly keyId: string;
  readonly nonce: string;
  readonly timestampMs: number;
}

/** Reads the signature headers without trusting them yet (the key id picks the public key). */
export function readSignatureHeaders(
  headers: Record<string, string | string[] | undefined>,
): SignatureClaims & {
  readonly signature: Uint8Array;
} {
  const h = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const keyId = h(SIG_HEADERS.keyId);
  const ts = h(SIG_HEADERS.timestamp);
  const nonce = h(SIG_HEADERS.nonce);
  const sig = h(SIG_HEADERS.signature);
  if (
    !keyId ||
    !/^[A-Za-z0-9_-]{1,80}$/.test(keyId) ||
    !ts ||
    !/^\d{10,16}$/.test(ts) ||
    !nonce ||
    !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) ||
    !sig
  ) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', {
      details: ['missing or malformed signature headers'],
    });
  }
  let signature: Uint8Array;
  try {
    signature = b64Decode(sig);
  } catch {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['signature is not base64'] });
  }
  if (signature.length !== nacl.sign.signatureLength) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['signature has the wrong length'] });
  }
  return { keyId, nonce, timestampMs: Number(ts), signature };
}

/**
 * Verifies a request signature against the enrolled public key and the clock. The caller must
 * also remember `nonce` for SIGNATURE_WINDOW_MS and refuse a repeat (see the server's nonce guard).
 * `alg` is the enrolled key's algorithm (never taken from the request): Ed25519 (32-byte key) by
 * default, or ECDSA P-256 / SHA-256 (65-byte uncompressed key, r ‖ s signature).
 */
export function verifyRequestSignature(
  claims: SignatureClaims & { readonly signature: Uint8Array },
  publicKey: Uint8Array,
  method: string,
  path: string,
  body: Uint8Array,
  now: number = Date.now(),
  alg: SignatureAlg = 'ed25519',
): void {
  if (Math.abs(now - claims.timestampMs) > SIGNATURE_WINDOW_MS) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['timestamp outside the allowed window'] });
  }
  const p256 = alg === 'ecdsa-p256-sha256';
  const keyLength = p256 ? P256_POINT_BYTES : nacl.sign.publicKeyLength;
  if (publicKey.length !== keyLength || (p256 && publicKey[0] !== 0x04)) {
    throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['unusable public key'] });
  }
  const input = signingInput(method, path, String(claims.timestampMs), claims.nonce, body);
  let valid = false;
  try {
    if (p256) {
      const key = createPublicKey({ key: p256Jwk(publicKey), format: 'jwk' });
      valid = cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, claims.signature);
    } else {
      const key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
        format: 'jwk',
      });
      valid = cryptoVerify(null, input, key, claims.signature);
    }
  } catch {
    valid = false;
  }
  if (!valid) throw new ViworksError('VIW_E_SIGNATURE_INVALID');
}

/** The JWK of an uncompressed P-256 point (OpenSSL refuses one that is not on the curve). */
export function p256Jwk(point: Uint8Array) {
  const b = Buffer.from(point.buffer, point.byteOffset, point.byteLength);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: b.subarray(1, 33).toString('base64url'),
    y: b.subarray(33, 65).toString('base64url'),
  };
}
