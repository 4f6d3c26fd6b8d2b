// TOTP for the admin API's second factor: RFC 6238 on RFC 4226 HOTP, with node:crypto only.
// Admins use SHA-1, 6 digits, 30 s steps (what every authenticator app supports); digits and the
// hash are parameters so the RFC's own vectors (8 digits, SHA-1/256/512) test this code.
// Verification accepts the current step ±1, compares in constant time, and returns the step that
// matched so the caller can refuse it (and every earlier step) from then on.
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../../core/crypto/bytes.js';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParams {
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly periodS: number;
  /** T0 of RFC 6238 (Unix seconds); 0 everywhere in practice. */
  readonly t0S?: number;
}

export const ADMIN_TOTP: TotpParams = { algorithm: 'SHA1', digits: 6, periodS: 30 };
/** 160-bit secrets, as RFC 4226 recommends. */
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted either side of the current one (clock drift, typing time). */
export const TOTP_WINDOW = 1;

const HMAC_NAME: Record<TotpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function hotp(secret: Uint8Array, counter: number, digits: number, algorithm: TotpAlgorithm): string {
  if (!Number.isInteger(digits) || digits < 6 || digits > 9) throw new RangeError('digits must be 6..9');
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter must be a safe integer');
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HMAC_NAME[algorithm], secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  mac.fill(0);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function totpStep(nowMs: number, params: TotpParams = ADMIN_TOTP): number {
  return Math.floor((Math.floor(nowMs / 1000) - (params.t0S ?? 0)) / params.periodS);
}

export function totpAt(secret: Uint8Array, nowMs: number, params: TotpParams = ADMIN_TOTP): string {
  return hotp(secret, totpStep(nowMs, params), params.digits, params.algorithm);
}

/**
 * Returns the step `code` belongs to within ±window of now, or null. Every candidate is computed and
 * compared in constant time (no early exit); on a (rare) double match the later step wins, which
 * burns more steps, never fewer.
 */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  params: TotpParams = ADMIN_TOTP,
  window = TOTP_WINDOW,
): number | null {
  if (!new RegExp(`^[0-9]{${params.digits}}$`).test(code)) return null;
  const given = Buffer.from(code, 'ascii');
  const current = totpStep(nowMs, params);
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(secret, step, params.digits, params.algorithm), 'ascii');
    if (constantTimeEqual(expected, given)) matched = step;
  }
  return matched;
}

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: the form authenticator apps take. */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]*$/.test(clean)) throw new TypeError('not base32');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/** Key URI (Google Authenticator format): otpauth://totp/Issuer:account?secret=…&issuer=…&… */
export function otpauthUri(
  secretBase32: string,
  account: string,
  issuer = 'ViWorkS',
  params: TotpParams = ADMIN_TOTP,
): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: params.algorithm,
    digits: String(params.digits),
    period: String(params.periodS),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
