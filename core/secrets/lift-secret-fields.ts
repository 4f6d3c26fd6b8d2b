// Parsing a JSON request body whose chosen string fields are secrets (the local API's password, OTP
// code, enrollment token): each secret is decoded from the body's BYTES into a wipeable buffer
// (SecretText) and never becomes a JavaScript string; JSON.parse and the route's schema see a copy
// of the body in which each secret is replaced by a dummy chosen to pass the schema exactly when the
// secret would (same length, same character classes where the schema has a pattern).
import { secretBytes } from '../crypto/bytes.js';
import { findStringSpans } from './json-spans.js';
import { SecretText, unescapeJsonUtf8 } from './secret-text.js';

/** Makes the stand-in string for one secret from its UTF-8 bytes (never from a string of it). */
export type DummyOf = (secret: Uint8Array) => string;

export interface LiftedBody {
  /** The parsed body, each secret field holding its dummy. */
  readonly value: unknown;
  /** The secrets by path; the caller wipes them (wipeLifted) when the request is done. */
  readonly secrets: ReadonlyMap<string, SecretText>;
}

export class NotJsonError extends Error {}

/**
 * Parses UTF-8 JSON `body`, lifting out the string values at the paths of `fields`. Throws
 * NotJsonError (never with content) for invalid JSON or UTF-8, duplicate keys, a secret that is not
 * well-formed UTF-8. Does not modify `body`; everything it made is wiped when it throws.
 */
export function liftSecretFields(body: Uint8Array, fields: ReadonlyMap<string, DummyOf>): LiftedBody {
  const spans = findStringSpans(
    body,
    (p) => fields.has(p),
    (detail) => {
      throw new NotJsonError(detail);
    },
  );
  const secrets = new Map<string, SecretText>();
  try {
    const ordered = [...spans.entries()].sort((x, y) => x[1].start - y[1].start);
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const [path, span] of ordered) {
      const bytes = unescapeJsonUtf8(body.subarray(span.start, span.end), secretBytes);
      if (!bytes) throw new NotJsonError(`${path}: not a well-formed string`);
      const secret = SecretText.adopt(bytes);
      secrets.set(path, secret);
      parts.push(body.subarray(at, span.start));
      // The dummy is built from character classes only; JSON.stringify escapes it like any string.
      parts.push(new TextEncoder().encode(JSON.stringify(fields.get(path)!(bytes)).slice(1, -1)));
      at = span.end;
    }
    parts.push(body.subarray(at));
    const masked = Buffer.concat(parts);
    let value: unknown;
    try {
      // An own `__proto__` key stays a plain key, and the closed schemas refuse it as unknown.
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(masked));
    } catch {
      throw new NotJsonError('not UTF-8 JSON');
    }
    return { value, secrets };
  } catch (err) {
    wipeLifted(secrets);
    throw err;
  }
}

export function wipeLifted(secrets: ReadonlyMap<string, SecretText> | null | undefined): void {
  for (const s of secrets?.values() ?? []) s.wipe();
}
