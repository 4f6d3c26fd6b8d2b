// The cryptography of phone OTPs. A code is 6 digits from the CSPRNG. The server keeps it in two
// forms only, both keyed by subkeys of `secrets.otpHmacKey` (HKDF-SHA256, one per purpose):
//   - HMAC-SHA256(txn hash ‖ code): what /auth/verify compares against, in constant time;
//   - AES-256-GCM(code), bound to user and transaction: what the bound phone is shown.
// The second form exists because the phone must display the code while the store must not hold it
// readable: a dump of the shared store (Redis) reveals no code without the server key.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { constantTimeEqual } from '../../../core/crypto/bytes.js';

export const OTP_DIGITS = 6;

export interface OtpKeys {
  readonly hmac: Buffer;
  readonly seal: Buffer;
}

const derived = new WeakMap<Buffer, OtpKeys>();

/** Purpose-bound subkeys of the server's OTP key (derived once per key). */
export function otpKeys(master: Buffer): OtpKeys {
  let keys = derived.get(master);
  if (!keys) {
    const sub = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
    keys = { hmac: sub('viworks otp hmac v1'), seal: sub('viworks otp display v1') };
    derived.set(master, keys);
  }
  return keys;
}

export function newOtpCode(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

export function otpHmac(keys: OtpKeys, txnHash: string, code: string): Buffer {
  return createHmac('sha256', keys.hmac).update(`v1\0${txnHash}\0${code}`, 'utf8').digest();
}

/** Constant-time comparison of a candidate code with the stored HMAC (hex). */
export function otpMatches(keys: OtpKeys, txnHash: string, code: string, storedHex: string): boolean {
  return constantTimeEqual(otpHmac(keys, txnHash, code), Buffer.from(storedHex, 'hex'));
}

/** base64url(iv 12 ‖ ciphertext ‖ tag 16); `aad` binds it to one user and one transaction. */
export function sealCode(keys: OtpKeys, code: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
}

/** The code, or null when the blob was altered or belongs to another user/transaction. */
export function openCode(keys: OtpKeys, sealed: string, aad: string): string | null {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length !== 12 + OTP_DIGITS + 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.seal, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
