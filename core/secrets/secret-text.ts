// A secret text (a password, a one-time code, an enrollment token) carried as UTF-8 BYTES, never as
// a JavaScript string: a string cannot be overwritten and stays in the heap until the garbage
// collector reuses its memory, a byte array can be wiped the moment it is no longer needed.
// Browser-safe (plain Uint8Array): the typed backend client, which the phone app also loads, sends
// these inside JSON bodies (encodeJsonWithSecrets below).

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class SecretText {
  readonly #bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Takes ownership of `bytes` (UTF-8): the SecretText's wipe() zeroes them. */
  static adopt(bytes: Uint8Array): SecretText {
    return new SecretText(bytes);
  }

  /**
   * For a caller that already holds the text as a string (a test, the CLI's prompt): the string
   * itself stays what it was; only this copy can be wiped.
   */
  static fromString(text: string): SecretText {
    const encoded = new TextEncoder().encode(text);
    const own = new Uint8Array(new ArrayBuffer(encoded.length));
    own.set(encoded);
    encoded.fill(0);
    return new SecretText(own);
  }

  /** The UTF-8 bytes themselves (a view: do not keep it beyond the SecretText's life). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Zeroes the bytes (idempotent). */
  wipe(): void {
    this.#bytes.fill(0);
  }

  // Whatever prints or serialises a SecretText by mistake gets a placeholder, never the bytes.
  toJSON(): string {
    return '[secret]';
  }
  toString(): string {
    return '[secret]';
  }
  [INSPECT](): string {
    return 'SecretText([secret])';
  }
}

/** Every field of T named in K may also be a SecretText (the backend client's request bodies). */
export type WithSecretText<T, K extends keyof T> = { [P in keyof T]: P extends K ? T[P] | SecretText : T[P] };

/**
 * The number of code points of valid UTF-8 `bytes`: what the local API's schema validator (Ajv,
 * `unicode: true`) counts for minLength/maxLength, so a dummy of this length passes exactly when
 * the secret would.
 */
export function codePointLength(bytes: Uint8Array): number {
  let n = 0;
  for (const c of bytes) if ((c & 0xc0) !== 0x80) n++;
  return n;
}

/** True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF). */
export function isWellFormedUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    let need: number;
    let min: number;
    let cp: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) === 0xc0) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if ((c & 0xf0) === 0xe0) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if ((c & 0xf8) === 0xf0) [need, min, cp] = [3, 0x10000, c & 0x07];
    else return false;
    for (let k = 1; k <= need; k++) {
      const d = bytes[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/**
 * The code points of well-formed UTF-8 `bytes`, in storage of their own outside the JS heap: the
 * caller wipes it (fill(0)) when done. For rules that count characters (a new password's).
 */
export function utf8CodePoints(bytes: Uint8Array): Uint32Array {
  let n = 0;
  for (const c of bytes) if ((c & 0xc0) !== 0x80) n++;
  const out = new Uint32Array(new ArrayBuffer(Math.max(1, n) * 4)).subarray(0, n);
  let o = 0;
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    const len = c < 0x80 ? 1 : (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : 4;
    let cp = len === 1 ? c : c & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    out[o++] = cp;
    i += len;
  }
  return out;
}

function writeUtf8(cp: number, out: Uint8Array, at: number): number {
  if (cp < 0x80) {
    out[at] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[at + 2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  out[at] = 0xf0 | (cp >> 18);
  out[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[at + 3] = 0x80 | (cp & 0x3f);
  return 4;
}

function hex4(src: Uint8Array, at: number): number {
  let n = 0;
  for (let k = 0; k < 4; k++) {
    const c = src[at + k];
    const v =
      c === undefined
        ? -1
        : c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x41 && c <= 0x46
            ? c - 0x37
            : c >= 0x61 && c <= 0x66
              ? c - 0x57
              : -1;
    if (v < 0) return -1;
    n = n * 16 + v;
  }
  return n;
}

/** JSON's one-character escapes (after the backslash: " \\ / b f n r t) and the byte each stands for. */
const SIMPLE_ESCAPES: Readonly<Record<number, number>> = {
  34: 0x22,
  92: 0x5c,
  47: 0x2f,
  98: 8,
  102: 12,
  110: 10,
  114: 13,
  116: 9,
};

/**
 * The content of one JSON string (the bytes between its quotes) decoded into UTF-8 bytes written to
 * `alloc(n)`-made storage, which the caller owns. Null (and everything made wiped) when it is not a
 * well-formed JSON string of well-formed UTF-8 (a lone surrogate escape included).
 */
export function unescapeJsonUtf8(src: Uint8Array, alloc: (n: number) => Uint8Array): Uint8Array | null {
  // Escapes only ever shrink: `\uXXXX` (6 bytes) is at most 3 UTF-8 bytes, a pair (12) is 4.
  const work = alloc(src.length);
  let o = 0;
  const bad = () => {
    work.fill(0);
    return null;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c < 0x20) return bad();
    if (c !== 0x5c) {
      work[o++] = c;
      continue;
    }
    const e = src[++i];
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      work[o++] = SIMPLE_ESCAPES[e]!;
      continue;
    }
    if (e !== 0x75) return bad();
    let cp = hex4(src, i + 1);
    if (cp < 0) return bad();
    i += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff) return bad();
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (src[i + 1] !== 0x5c || src[i + 2] !== 0x75) return bad();
      const low = hex4(src, i + 3);
      if (low < 0xdc00 || low > 0xdfff) return bad();
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      i += 6;
    }
    o += writeUtf8(cp, work, o);
  }
  const out = alloc(o);
  out.set(work.subarray(0, o));
  work.fill(0);
  if (!isWellFormedUtf8(out)) {
    out.fill(0);
    return null;
  }
  return out;
}

/** How many bytes `bytes` takes inside a JSON string once escaped. */
function escapedLength(bytes: Uint8Array): number {
  let n = 0;
  for (const c of bytes) n += c === 0x22 || c === 0x5c ? 2 : c < 0x20 ? 6 : 1;
  return n;
}

function writeEscaped(bytes: Uint8Array, out: Uint8Array, at: number): number {
  const hex = '0123456789abcdef';
  let o = at;
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) {
      out[o++] = 0x5c;
      out[o++] = c;
    } else if (c < 0x20) {
      out.set([0x5c, 0x75, 0x30, 0x30, hex.charCodeAt(c >> 4), hex.charCodeAt(c & 15)], o);
      o += 6;
    } else out[o++] = c;
  }
  return o - at;
}

/**
 * `value` as UTF-8 JSON bytes, every SecretText in it written as a JSON string from its bytes —
 * spliced into the serialised text, never turned into a string. The result is storage of its own
 * (off the JS heap when large enough to matter): wipe it once sent when `secret` is true.
 */
export function encodeJsonWithSecrets(value: unknown): {
  readonly bytes: Uint8Array;
  readonly secret: boolean;
} {
  const found: SecretText[] = [];
  // A marker no other value of the body can contain: random, and only characters JSON leaves as they are.
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(12)), (x) =>
    x.toString(16).padStart(2, '0'),
  ).join('');
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof SecretText) {
      found.push(raw);
      return `viw-secret-${nonce}-${found.length - 1}`;
    }
    return v;
  });
  if (text === undefined) throw new TypeError('not a JSON value');
  const plain = new TextEncoder().encode(text);
  if (found.length === 0) return { bytes: plain, secret: false };
  const markers = found.map((_, n) => new TextEncoder().encode(`"viw-secret-${nonce}-${n}"`));
  let size = plain.length;
  found.forEach((s, n) => {
    size += escapedLength(s.bytes) + 2 - markers[n]!.length;
  });
  const out = new Uint8Array(new ArrayBuffer(size));
  let o = 0;
  let i = 0;
  while (i < plain.length) {
    const n = markers.findIndex((m) => startsWith(plain, i, m));
    if (n < 0) {
      out[o++] = plain[i++]!;
      continue;
    }
    out[o++] = 0x22;
    o += writeEscaped(found[n]!.bytes, out, o);
    out[o++] = 0x22;
    i += markers[n]!.length;
  }
  if (o !== size) throw new Error('secret body size mismatch');
  return { bytes: out, secret: true };
}

function startsWith(b: Uint8Array, at: number, m: Uint8Array): boolean {
  if (b[at] !== 0x22 || at + m.length > b.length) return false;
  for (let k = 0; k < m.length; k++) if (b[at + k] !== m[k]) return false;
  return true;
}
