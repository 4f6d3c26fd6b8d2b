// The detached signature on every HTTPS bulk body (pki-siem §2.2 "signed payloads"):
//
//   X-Viworks-Signature: keyid=<hex SHA-256 of the SPKI DER>, alg=ed25519, sig=<base64, 64 bytes>
//
// Only the body is signed, on purpose. The body is the whole delivery: every document carries its
// seq and hash, the Elasticsearch action lines carry index and _id. Everything else in the request
// (path, Host, Authorization, proxy headers, the URL's index) is rewritten by the load balancers and
// ingest proxies that sit in front of SIEMs, so a signature over it would break in transit without
// adding anything. A replayed body is harmless: receivers de-duplicate by _id / seq, so it creates
// nothing new, which is also why no timestamp is signed — a retry sends the same bytes and the same
// signature. Confidentiality and the receiver's identity are TLS's job, not this header's.
//
// How a receiver (or a proxy in front of the SIEM) verifies, in this order:
//  1. take the request body as the raw bytes received, before any JSON parsing, re-encoding or
//     decompression (we never compress);
//  2. parse the header: exactly the three parameters above, each once;
//  3. pick the public key whose keyid matches among those it trusts — the PEM files the backend
//     publishes at <dataDir>/audit/siem-shipping.pub.pem (keyid = sha256 of the DER SubjectPublicKeyInfo,
//     `openssl pkey -pubin -in siem-shipping.pub.pem -outform DER | sha256sum`);
//  4. Ed25519-verify sig over the body (`openssl pkeyutl -verify -pubin -inkey siem-shipping.pub.pem
//     -rawin -in body -sigfile sig.bin`); refuse the request (401) on any failure.
// verifyBodySignature below does 2–4; scripts/testkit/siem-https-receiver.ts uses it.
import { type KeyObject, verify } from 'node:crypto';
import { keyIdOf } from '../signer.js';

export const BODY_SIGNATURE_HEADER = 'X-Viworks-Signature';

/** What signs bodies: the shipping key (shipping-key.ts). */
export interface BodySigningKey {
  /** Hex SHA-256 of the public key's SPKI DER. */
  readonly keyId: string;
  /** The 64-byte Ed25519 signature of data. */
  sign(data: Uint8Array): Buffer;
}

/** The header value for one body. */
export function bodySignatureHeader(key: BodySigningKey, body: Uint8Array): string {
  return `keyid=${key.keyId}, alg=ed25519, sig=${key.sign(body).toString('base64')}`;
}

export type BodySignatureCheck =
  | { readonly valid: true; readonly keyId: string }
  | { readonly valid: false; readonly reason: 'missing' | 'malformed' | 'unknown-key' | 'bad-signature' };

const MAX_HEADER_CHARS = 256;
const KEY_ID = /^[0-9a-f]{64}$/;
/** 64 bytes in standard padded base64: 86 characters and "==". */
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

function parseHeader(value: string): { keyid: string; alg: string; sig: string } | null {
  if (value.length > MAX_HEADER_CHARS) return null;
  const params = new Map<string, string>();
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return null;
    const name = part.slice(0, at).trim();
    if (params.has(name)) return null;
    params.set(name, part.slice(at + 1).trim());
  }
  const keyid = params.get('keyid');
  const alg = params.get('alg');
  const sig = params.get('sig');
  if (params.size !== 3 || keyid === undefined || alg === undefined || sig === undefined) return null;
  return { keyid, alg, sig };
}

/**
 * Checks a body against its X-Viworks-Signature header and the trusted Ed25519 public keys. Never
 * throws; the reason is for the receiver's log, the caller answers 401 to any failure.
 */
export function verifyBodySignature(
  headerValue: string | readonly string[] | undefined,
  body: Uint8Array,
  publicKeys: readonly KeyObject[],
): BodySignatureCheck {
  if (headerValue === undefined) return { valid: false, reason: 'missing' };
  // A repeated header is ambiguous: which one would a proxy have checked?
  if (typeof headerValue !== 'string') return { valid: false, reason: 'malformed' };
  const parsed = parseHeader(headerValue);
  if (parsed?.alg !== 'ed25519' || !KEY_ID.test(parsed.keyid) || !SIGNATURE.test(parsed.sig))
    return { valid: false, reason: 'malformed' };
  const key = publicKeys.find((k) => k.asymmetricKeyType === 'ed25519' && keyIdOf(k) === parsed.keyid);
  if (!key) return { valid: false, reason: 'unknown-key' };
  try {
    if (verify(null, body, key, Buffer.from(parsed.sig, 'base64')))
      return { valid: true, keyId: parsed.keyid };
  } catch {
    // fall through: a signature that does not even parse is a bad signature
  }
  return { valid: false, reason: 'bad-signature' };
}
