// Password hashing with scrypt (memory-hard, in node:crypto, no native add-on). Parameters are
// stored with each hash so they can be raised later without breaking old hashes.
// N = 2^15, r = 8, p = 1 → 32 MiB and ~50–100 ms per hash on the reference machine (OWASP's
// minimum for scrypt is N=2^17 with r=8,p=1 or an equivalent; we take N=2^15 with p=1 as the
// embedded default for a 2-core box and document raising it via VIWORKS_SCRYPT_N).
import { randomBytes, type ScryptOptions, scrypt } from 'node:crypto';
import { constantTimeEqual } from '../../../core/crypto/bytes.js';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LEN = 32;
const MAX_PASSWORD_BYTES = 1024;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new RangeError('password too long');
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  const encoded = `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  key.fill(0);
  return encoded;
}

const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Constant-time check. A malformed stored hash verifies as false (and is never echoed). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.N > 2 ** 20 || params.r > 32 || params.p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await derive(password, Buffer.from(m[4]!, 'base64'), params);
  const ok = constantTimeEqual(actual, expected);
  actual.fill(0);
  return ok;
}

/** A one-time password for a new administrator: 20 characters from a CSPRNG, no ambiguous ones. */
export function generateOneTimePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(40);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (const b of bytes) {
    if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
    if (out.length === 20) break;
  }
  bytes.fill(0);
  return out.length === 20 ? out : generateOneTimePassword();
}
