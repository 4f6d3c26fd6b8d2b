// A strict JSON scanner over BYTES (RFC 8259) that records where chosen string values are, without
// decoding them: the way to take a secret out of a JSON document without it ever becoming a
// JavaScript string (strings are immutable and linger in the heap; buffers can be wiped). Used for
// the bootstrap plaintext (core/bootstrap/opened.ts) and the local API's request bodies
// (lift-secret-fields.ts). Only the structure is checked here; the caller parses a masked copy with
// JSON.parse afterwards, which checks the exact grammar of everything else.

export interface Span {
  /** The first byte of the string's content (after the opening quote). */
  readonly start: number;
  /** One past its last byte (the closing quote's index). */
  readonly end: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const MAX_DEPTH = 16;
const MAX_KEY_BYTES = 64;

function isHex(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
  );
}

function keyName(content: Uint8Array): string | null {
  try {
    return JSON.parse(`"${new TextDecoder('utf-8', { fatal: true }).decode(content)}"`) as string;
  } catch {
    return null;
  }
}

/**
 * The spans of the string values whose path `wanted` accepts. A path is the object keys joined by
 * `.`, `[]` for an array element (`spa.enc_key`, `routes[]`). `fail(detail)` is called (and must
 * throw) for anything that is not JSON, a duplicate key, a key over 64 bytes or nesting over 16.
 * A wanted path whose value is not a string is scanned like any other value and left out.
 */
export function findStringSpans(
  b: Uint8Array,
  wanted: (path: string) => boolean,
  fail: (detail: string) => never,
): Map<string, Span> {
  const spans = new Map<string, Span>();
  let i = 0;
  const notJson = (): never => fail('not JSON');
  const ws = () => {
    while (i < b.length && WS.has(b[i]!)) i++;
  };
  /** Skips a string starting at b[i] === '"'; returns its content span. */
  const string = (): Span => {
    const start = ++i;
    while (i < b.length) {
      const c = b[i]!;
      if (c === 0x22) return { start, end: i++ };
      if (c < 0x20) notJson();
      if (c === 0x5c) {
        const e = b[i + 1];
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(b[i + k])) notJson();
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(String.fromCharCode(e))) i += 2;
        else notJson();
      } else i++;
    }
    return notJson();
  };
  const object = (path: string, depth: number): void => {
    i++;
    ws();
    const keys = new Set<string>();
    if (b[i] === 0x7d) {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (b[i] !== 0x22) notJson();
      const k = string();
      if (k.end - k.start > MAX_KEY_BYTES) notJson();
      // Keys are names, never secrets: decoded with JSON.parse to compare them as JSON does.
      const key = keyName(b.subarray(k.start, k.end)) ?? notJson();
      if (keys.has(key)) fail(`${path}/${key}: duplicate key`);
      keys.add(key);
      ws();
      if (b[i++] !== 0x3a) notJson();
      const child = path ? `${path}.${key}` : key;
      ws();
      if (wanted(child) && b[i] === 0x22) spans.set(child, string());
      else value(child, depth + 1);
      ws();
      if (b[i] === 0x2c) {
        i++;
        continue;
      }
      if (b[i++] === 0x7d) return;
      notJson();
    }
  };
  const array = (path: string, depth: number): void => {
    i++;
    ws();
    if (b[i] === 0x5d) {
      i++;
      return;
    }
    for (;;) {
      value(`${path}[]`, depth + 1);
      ws();
      if (b[i] === 0x2c) {
        i++;
        continue;
      }
      if (b[i++] === 0x5d) return;
      notJson();
    }
  };
  const value = (path: string, depth: number): void => {
    if (depth > MAX_DEPTH) notJson();
    ws();
    const c = b[i];
    if (c === 0x7b) object(path, depth);
    else if (c === 0x5b) array(path, depth);
    else if (c === 0x22) string();
    else literal();
  };
  const literal = (): void => {
    // A number or a literal: its characters only; JSON.parse checks the exact grammar later.
    const start = i;
    while (i < b.length && /[-+.0-9eEtrufalsn]/.test(String.fromCharCode(b[i]!))) i++;
    if (i === start) notJson();
  };
  value('', 0);
  ws();
  if (i !== b.length) notJson();
  return spans;
}
