// Byte-level checks and decoders for the bootstrap's secret fields (opened.ts): each works on the
// bytes as they arrived and returns bytes, so no secret ever becomes a JavaScript string (strings
// cannot be wiped; buffers can). The checks are the payload schema's patterns (payload.ts) done by
// hand: a base64 key, an OpenVPN static key, one PKCS#8 PEM private key. Every buffer they make is
// secretBytes (core/crypto/bytes.ts): off the JS heap, so a wipe reaches the only copy.
import { secretBytes } from '../crypto/bytes.js';

const A = 0x41;
const Z = 0x5a;
const a = 0x61;
const z = 0x7a;
const D0 = 0x30;
const D9 = 0x39;
const PLUS = 0x2b;
const SLASH = 0x2f;
const EQ = 0x3d;
const NL = 0x0a;
const HASH = 0x23;

/** The value of one standard-alphabet base64 character, or -1. */
function b64Value(c: number): number {
  if (c >= A && c <= Z) return c - A;
  if (c >= a && c <= z) return c - a + 26;
  if (c >= D0 && c <= D9) return c - D0 + 52;
  if (c === PLUS) return 62;
  if (c === SLASH) return 63;
  return -1;
}

/**
 * Decodes padded standard base64 bytes into a new Buffer; null when `text` is not exactly that
 * (a length that is not a multiple of 4, a foreign character, padding anywhere but the end).
 */
export function base64BytesToBuffer(text: Uint8Array): Buffer | null {
  if (text.length === 0 || text.length % 4 !== 0) return null;
  let pad = 0;
  if (text[text.length - 1] === EQ) pad++;
  if (text[text.length - 2] === EQ) pad++;
  const out = secretBytes((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v = [0, 1, 2, 3].map((k) => {
      const c = text[i + k]!;
      return last && c === EQ && k >= 4 - pad ? 0 : b64Value(c);
    });
    if (v.some((x) => x < 0)) {
      out.fill(0);
      return null;
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (o < out.length) out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

function startsWithAscii(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const isHexLower = (c: number) => (c >= D0 && c <= D9) || (c >= a && c <= 0x66);
const isB64Char = (c: number) => b64Value(c) >= 0 || c === EQ;

/**
 * An OpenVPN static key as OpenVPN reads it: optional `#` comment lines, the BEGIN line, 16 lines of
 * 32 lowercase hex digits, the END line. Returns the key block alone (comments dropped, newline
 * terminated) as a new Buffer, or null.
 */
export function staticKeyBlock(text: Uint8Array): Buffer | null {
  let i = 0;
  while (i < text.length && text[i] === HASH) {
    const nl = text.indexOf(NL, i);
    if (nl < 0) return null;
    // Dropped from the output, but still held to printable ASCII without tag brackets.
    for (let k = i; k < nl; k++)
      if (text[k]! < 0x20 || text[k]! > 0x7e || text[k] === 0x3c || text[k] === 0x3e) return null;
    i = nl + 1;
  }
  const start = i;
  const begin = '-----BEGIN OpenVPN Static key V1-----\n';
  const end = '-----END OpenVPN Static key V1-----';
  if (!startsWithAscii(text, i, begin)) return null;
  i += begin.length;
  for (let line = 0; line < 16; line++) {
    for (let k = 0; k < 32; k++) if (!isHexLower(text[i + k] ?? -1)) return null;
    if (text[i + 32] !== NL) return null;
    i += 33;
  }
  if (!startsWithAscii(text, i, end)) return null;
  i += end.length;
  if (i < text.length && text[i] === NL) i++;
  if (i !== text.length) return null;
  return withNewline(text.subarray(start, i));
}

/**
 * One PEM block of `label` (e.g. PRIVATE KEY): the BEGIN line, lines of 1–76 base64 characters,
 * the END line. Returns it newline-terminated as a new Buffer, or null.
 */
export function pemBlock(text: Uint8Array, label: string): Buffer | null {
  const begin = `-----BEGIN ${label}-----\n`;
  const end = `-----END ${label}-----`;
  if (!startsWithAscii(text, 0, begin)) return null;
  let i = begin.length;
  let lines = 0;
  while (!startsWithAscii(text, i, end)) {
    const nl = text.indexOf(NL, i);
    const len = nl - i;
    if (nl < 0 || len < 1 || len > 76) return null;
    for (let k = i; k < nl; k++) if (!isB64Char(text[k]!)) return null;
    i = nl + 1;
    lines++;
  }
  i += end.length;
  if (i < text.length && text[i] === NL) i++;
  if (lines === 0 || i !== text.length) return null;
  return withNewline(text);
}

function withNewline(b: Uint8Array): Buffer {
  const ends = b.length > 0 && b[b.length - 1] === NL;
  const out = secretBytes(b.length + (ends ? 0 : 1));
  out.set(b);
  if (!ends) out[out.length - 1] = NL;
  return out;
}
