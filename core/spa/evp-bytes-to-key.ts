import { createHash } from 'node:crypto';
import { wipe } from '../crypto/bytes.js';
import { SALT_LEN } from './packet.js';

export interface AesKeyIv {
  /** 32-byte AES-256 key. Wipe after use. */
  readonly key: Buffer;
  /** 16-byte CBC IV. Wipe after use. */
  readonly iv: Buffer;
}

/**
 * OpenSSL's EVP_BytesToKey with MD5 and one iteration, which is what libfko uses for Rijndael mode:
 * D1 = MD5(pass‖salt), Di = MD5(Di−1‖pass‖salt); the first 32 bytes are the key, the next 16 the IV.
 * MD5 here is a fixed part of the wire protocol, not a choice; the secret strength is the key's.
 */
export function evpBytesToKey(pass: Uint8Array, salt: Uint8Array): AesKeyIv {
  if (salt.length !== SALT_LEN) throw new RangeError('salt must be 8 bytes');
  const out = Buffer.alloc(48);
  let prev: Buffer | undefined;
  for (let off = 0; off < out.length; off += 16) {
    const h = createHash('md5');
    if (prev) h.update(prev);
    h.update(pass).update(salt);
    const next = h.digest();
    wipe(prev);
    next.copy(out, off);
    prev = next;
  }
  wipe(prev);
  // Copies, so that wiping one half never depends on the other's lifetime.
  const result = { key: Buffer.from(out.subarray(0, 32)), iv: Buffer.from(out.subarray(32, 48)) };
  wipe(out);
  return result;
}
