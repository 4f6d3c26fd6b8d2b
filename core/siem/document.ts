// Helpers the SIEM formats share: nested paths into a JSON document, and the check that makes every
// inverse exact — a document read back must be, key for key, the one its record encodes to. Without
// that check a field the decoder does not read (event.outcome beside viworks.result, a class id
// beside the action) could be edited in the SIEM and still "verify" against the signed manifests.
import { ViworksError } from '../errors/viworks-error.js';

export type SiemDocument = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A path as the mapping files write it: dot-separated keys, array positions as numbers. */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/** The JSON pointer of a dotted path, as error details name it (`source.port` → `/source/port`). */
export function pointer(path: string): string {
  return `/${splitPath(path).join('/')}`;
}

/** The value at `path`, or undefined when any step is missing or of another shape. */
export function getPath(doc: unknown, path: string): unknown {
  let at: unknown = doc;
  for (const key of splitPath(path)) {
    if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else if (isObject(at) && Object.hasOwn(at, key)) at = at[key];
    else return undefined;
  }
  return at;
}

/** Sets `path`, making the objects (or arrays, for numeric steps) on the way. */
export function setPath(doc: SiemDocument, path: string, value: unknown): void {
  const keys = splitPath(path);
  let at: Record<string, unknown> | unknown[] = doc;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    const nextIsIndex = /^\d+$/.test(keys[i + 1]!);
    const slot = (at as Record<string, unknown>)[key];
    if (slot === undefined) {
      const made = nextIsIndex ? [] : {};
      (at as Record<string, unknown>)[key] = made;
      at = made;
    } else {
      at = slot as Record<string, unknown> | unknown[];
    }
  }
  (at as Record<string, unknown>)[keys[keys.length - 1]!] = value;
}

/** The first place where `actual` differs from `expected`, as a JSON pointer and a reason. */
export function firstDifference(expected: unknown, actual: unknown, at = ''): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at || '/'}: must be an array`;
    if (actual.length !== expected.length) return `${at || '/'}: must have ${expected.length} items`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${at}/${i}`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return `${at || '/'}: must be an object`;
    for (const key of Object.keys(actual).sort()) {
      if (!Object.hasOwn(expected, key)) return `${at}/${key}: not part of this format`;
    }
    for (const key of Object.keys(expected).sort()) {
      if (!Object.hasOwn(actual, key)) return `${at}/${key}: missing`;
      const d = firstDifference(expected[key], actual[key], `${at}/${key}`);
      if (d) return d;
    }
    return null;
  }
  return expected === actual ? null : `${at || '/'}: does not agree with the rest of the document`;
}

/** Throws VIW_E_VALIDATION naming the first path where the document is not its record's encoding. */
export function assertSameDocument(expected: SiemDocument, actual: unknown): void {
  const diff = firstDifference(expected, actual);
  // Details are bounded like strictValidator's: paths may carry attacker-chosen keys.
  if (diff) throw new ViworksError('VIW_E_VALIDATION', { details: [diff.slice(0, 160)] });
}

export function requireObject(doc: unknown): SiemDocument {
  if (!isObject(doc)) throw new ViworksError('VIW_E_VALIDATION', { details: ['/: must be an object'] });
  return doc;
}
