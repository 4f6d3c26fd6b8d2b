import { wipe } from '../crypto/bytes.js';
import { decryptSalted } from './cipher.js';
import { b64TextEqual, hmacB64 } from './digest.js';
import {
  B64_DIGEST_LEN,
  type DecodedSpa,
  MAX_ENC_KEY_LEN,
  MAX_HMAC_KEY_LEN,
  MAX_RIJNDAEL_PACKET_LEN,
  MIN_PACKET_LEN,
  SALTED_B64_PREFIX,
  type SpaHmacType,
} from './packet.js';
import { parsePlaintext } from './plaintext.js';
import { spaInvalid } from './spa-error.js';

export interface DecodeSpaOptions {
  /** Raw Rijndael key, 1–32 bytes. */
  readonly encKey: Uint8Array;
  /**
   * Raw HMAC key, 1–136 bytes. `null` reads a packet that carries no HMAC at all: unauthenticated
   * CBC, only for old fwknop vectors. It is deliberately not optional, so that leaving HMAC out is a
   * visible decision at the call site.
   */
  readonly hmacKey: Uint8Array | null;
  /** fwknopd's HMAC_DIGEST_TYPE; default sha256 (the only one ViWorkS sends). */
  readonly hmacType?: SpaHmacType;
  /** fwknopd's MAX_SPA_PACKET_AGE; default 120 s, either direction. `null` skips the check. */
  readonly maxAgeSeconds?: number | null;
  /** Unix seconds to judge the age against; default now. */
  readonly now?: number;
}

export const DEFAULT_MAX_AGE_SECONDS = 120;
const WIRE_RE = /^[A-Za-z0-9+/]+$/;

function checkKeys(opts: DecodeSpaOptions): void {
  const { encKey, hmacKey } = opts;
  if (!(encKey instanceof Uint8Array) || encKey.length < 1 || encKey.length > MAX_ENC_KEY_LEN) {
    throw spaInvalid('input.encKey');
  }
  if (
    hmacKey !== null &&
    (!(hmacKey instanceof Uint8Array) || hmacKey.length < 1 || hmacKey.length > MAX_HMAC_KEY_LEN)
  ) {
    throw spaInvalid('input.hmacKey');
  }
}

/** The cheap checks fwknopd makes before any cryptography, in the same order. */
function checkWire(packet: string): void {
  if (
    typeof packet !== 'string' ||
    packet.length < MIN_PACKET_LEN ||
    packet.length > MAX_RIJNDAEL_PACKET_LEN
  ) {
    throw spaInvalid('packet.length');
  }
  // The wire form never carries `=` padding, whitespace or a trailing NUL.
  if (!WIRE_RE.test(packet)) throw spaInvalid('packet.base64');
  if (packet.startsWith(SALTED_B64_PREFIX)) throw spaInvalid('packet.prefix');
}

/** Returns the base64 ciphertext with its `U2FsdGVkX1` prefix restored, after verifying the HMAC. */
function authenticate(packet: string, opts: DecodeSpaOptions): string {
  if (opts.hmacKey === null) return SALTED_B64_PREFIX + packet;
  const type = opts.hmacType ?? 'sha256';
  const macLen = B64_DIGEST_LEN[type];
  if (macLen === undefined) throw spaInvalid('input.hmacType');
  const salted = SALTED_B64_PREFIX + packet.slice(0, packet.length - macLen);
  const expected = hmacB64(type, opts.hmacKey, salted);
  // Constant time, and before any decryption: a forged packet never reaches the cipher.
  if (!b64TextEqual(packet.slice(packet.length - macLen), expected)) throw spaInvalid('hmac.verify');
  return salted;
}

function checkAge(ts: number, opts: DecodeSpaOptions): void {
  const maxAge = opts.maxAgeSeconds === undefined ? DEFAULT_MAX_AGE_SECONDS : opts.maxAgeSeconds;
  if (maxAge === null) return;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > maxAge) throw spaInvalid('timestamp.age');
}

/**
 * Authenticates, decrypts and parses one SPA packet the way fwknopd does. Throws VIW_E_SPA_INVALID
 * with a single safe detail on any failure; nothing of the plaintext is returned unless every check
 * (HMAC, padding, printable text, digest, every field, age) passed.
 */
export function decodeSpa(packet: string, opts: DecodeSpaOptions): DecodedSpa {
  checkWire(packet);
  checkKeys(opts);
  const salted = authenticate(packet, opts);
  const plain = decryptSalted(salted, opts.encKey);
  try {
    const decoded = parsePlaintext(plain);
    checkAge(decoded.timestamp, opts);
    return decoded;
  } finally {
    wipe(plain);
  }
}
