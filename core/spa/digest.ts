import { createHash, createHmac } from 'node:crypto';
import { b64NoPad, constantTimeEqual } from '../crypto/bytes.js';
import { B64_DIGEST_LEN, type SpaDigestType, type SpaHmacType } from './packet.js';

const BY_LENGTH = new Map<number, SpaDigestType>(
  (Object.entries(B64_DIGEST_LEN) as [SpaDigestType, number][]).map(([t, n]) => [n, t]),
);

/** fwknopd infers the plaintext digest's algorithm from its base64 length; so do we. */
export function digestTypeForB64Length(len: number): SpaDigestType | undefined {
  return BY_LENGTH.get(len);
}

/** Unpadded base64 digest of `data` (the plaintext before `:digest`). */
export function digestB64(type: SpaDigestType, data: Uint8Array): string {
  return b64NoPad(createHash(type).update(data).digest());
}

/**
 * Unpadded base64 HMAC (RFC 2104) over the ciphertext's base64 text, which must include the
 * `U2FsdGVkX1` prefix even though the wire omits it.
 */
export function hmacB64(type: SpaHmacType, key: Uint8Array, saltedB64: string): string {
  return b64NoPad(createHmac(type, key).update(saltedB64, 'ascii').digest());
}

/**
 * Compares two base64 texts in constant time. Comparing the texts rather than the decoded bytes
 * matters: two base64 strings that differ only in the unused low bits of their last character
 * decode to the same bytes, and accepting both would let an observer mint a "different" packet
 * that the replay cache (keyed on the packet text) would not recognise. libfko compares the text too.
 */
export function b64TextEqual(a: string, b: string): boolean {
  return constantTimeEqual(Buffer.from(a, 'ascii'), Buffer.from(b, 'ascii'));
}
