// AES-256-CBC in OpenSSL's "Salted__" container, the Rijndael mode of libfko.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { b64Decode, b64NoPad, wipe } from '../crypto/bytes.js';
import { evpBytesToKey } from './evp-bytes-to-key.js';
import { SALT_LEN, SALTED_MAGIC } from './packet.js';
import { spaInvalid } from './spa-error.js';

const MAGIC = Buffer.from(SALTED_MAGIC, 'ascii');
const HEADER_LEN = MAGIC.length + SALT_LEN;
const BLOCK = 16;

/** Encrypts `plain` and returns base64 (no `=`) of `Salted__‖salt‖ciphertext`, prefix included. */
export function encryptSalted(plain: Uint8Array, encKey: Uint8Array, salt: Uint8Array): string {
  const { key, iv } = evpBytesToKey(encKey, salt);
  try {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return b64NoPad(Buffer.concat([MAGIC, salt, body]));
  } finally {
    wipe(key, iv);
  }
}

/**
 * Decrypts base64 (prefix included) of `Salted__‖salt‖ciphertext`. Callers must have verified the
 * HMAC first; a padding failure here is reported as one opaque check so it cannot serve as an oracle.
 * The returned buffer holds plaintext: the caller wipes it.
 */
export function decryptSalted(saltedB64: string, encKey: Uint8Array): Buffer {
  let bin: Buffer;
  try {
    bin = b64Decode(saltedB64);
  } catch {
    throw spaInvalid('packet.base64');
  }
  const bodyLen = bin.length - HEADER_LEN;
  if (bodyLen < BLOCK || bodyLen % BLOCK !== 0 || !bin.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw spaInvalid('cipher.layout');
  }
  const { key, iv } = evpBytesToKey(encKey, bin.subarray(MAGIC.length, HEADER_LEN));
  const parts: Buffer[] = [];
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    parts.push(decipher.update(bin.subarray(HEADER_LEN)));
    parts.push(decipher.final());
    return Buffer.concat(parts);
  } catch {
    throw spaInvalid('cipher.decrypt');
  } finally {
    wipe(key, iv, ...parts);
  }
}
