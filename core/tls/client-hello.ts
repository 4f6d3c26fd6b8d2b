// Reads a TLS ClientHello from the first bytes a client sends (RFC 8446 §4.1.2, §5.1), before any
// TLS library sees them, so the backend can fingerprint every client (core/tls/fingerprints.ts).
// The input is whatever an unauthenticated peer chose to send: every length is checked against
// what is left at its level, nothing is read past the end, and the result is a value, never an
// exception. A ClientHello may arrive split over several TLS records and over several TCP reads:
// `readClientHello` says `incomplete` until the whole message is there.

/** Handshake messages longer than this are refused (browsers with post-quantum key shares send ~2 KiB). */
export const CLIENT_HELLO_MAX_BYTES = 16 * 1024;

/** RFC 8446 §5.1: a record's fragment is at most 2^14 bytes; a handshake fragment is never empty. */
const MAX_RECORD_FRAGMENT = 16 * 1024;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const CONTENT_HANDSHAKE = 22;
const MSG_CLIENT_HELLO = 1;

export const EXT_SERVER_NAME = 0x0000;
export const EXT_SUPPORTED_GROUPS = 0x000a;
export const EXT_EC_POINT_FORMATS = 0x000b;
export const EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const EXT_ALPN = 0x0010;
export const EXT_SUPPORTED_VERSIONS = 0x002b;

/** What the fingerprints need from a ClientHello, in wire order, GREASE values included. */
export interface ClientHello {
  /** legacy_version (0x0303 for TLS 1.2 and 1.3 clients). */
  readonly legacyVersion: number;
  readonly cipherSuites: readonly number[];
  /** Extension types in the order they appear. */
  readonly extensions: readonly number[];
  readonly supportedGroups: readonly number[];
  readonly ecPointFormats: readonly number[];
  readonly signatureAlgorithms: readonly number[];
  readonly supportedVersions: readonly number[];
  /** The first protocol of the ALPN extension, raw bytes; null when there is none. */
  readonly firstAlpn: Uint8Array | null;
}

/** Why bytes are not a ClientHello; short fixed phrases, fit for an audit event's error_msg. */
export type ClientHelloProblem =
  | 'not a TLS handshake'
  | 'malformed TLS record'
  | 'not a ClientHello'
  | 'ClientHello too large'
  | 'malformed ClientHello';

export type ClientHelloRead =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly hello: ClientHello }
  | { readonly state: 'invalid'; readonly problem: ClientHelloProblem };

const INCOMPLETE = { state: 'incomplete' } as const;
const invalid = (problem: ClientHelloProblem): ClientHelloRead => ({ state: 'invalid', problem });

/**
 * Reads the ClientHello at the start of `bytes` (the stream so far). `incomplete`: send more bytes
 * (the decision is never changed by them); `invalid` is final. The size cap is checked as soon as
 * the handshake header has arrived, so an announced oversized message is refused before its body.
 */
export function readClientHello(bytes: Uint8Array, maxBytes = CLIENT_HELLO_MAX_BYTES): ClientHelloRead {
  const fragments: Uint8Array[] = [];
  let have = 0;
  let needed: number | null = null;
  let pos = 0;
  // Records up to the end of the message: what follows it (early data, a second flight) is not ours.
  while (pos < bytes.length && (needed === null || have < needed)) {
    if (bytes[pos] !== CONTENT_HANDSHAKE) return invalid('not a TLS handshake');
    if (pos + 1 < bytes.length && bytes[pos + 1] !== 3) return invalid('malformed TLS record');
    if (pos + RECORD_HEADER > bytes.length) break;
    const length = u16(bytes, pos + 3);
    if (length === 0 || length > MAX_RECORD_FRAGMENT) return invalid('malformed TLS record');
    const start = pos + RECORD_HEADER;
    const end = Math.min(start + length, bytes.length);
    fragments.push(bytes.subarray(start, end));
    have += end - start;
    pos = start + length;
    if (needed === null && have >= HANDSHAKE_HEADER) {
      const head = concat(fragments, HANDSHAKE_HEADER);
      if (head[0] !== MSG_CLIENT_HELLO) return invalid('not a ClientHello');
      const messageLength = (head[1]! << 16) | u16(head, 2);
      if (messageLength > maxBytes) return invalid('ClientHello too large');
      needed = HANDSHAKE_HEADER + messageLength;
    }
  }
  if (needed === null || have < needed) return INCOMPLETE;
  const message = concat(fragments, needed);
  const hello = parseClientHelloBody(message.subarray(HANDSHAKE_HEADER));
  return hello ? { state: 'complete', hello } : invalid('malformed ClientHello');
}

/** The ClientHello structure after the handshake header; null when any length is inconsistent. */
export function parseClientHelloBody(body: Uint8Array): ClientHello | null {
  try {
    return parseBody(new Cursor(body));
  } catch (err) {
    if (err === MALFORMED) return null;
    throw err;
  }
}

function parseBody(c: Cursor): ClientHello {
  const legacyVersion = c.u16();
  c.skip(32); // random
  if (c.vector8().length > 32) throw MALFORMED; // legacy_session_id
  const cipherBytes = c.vector16();
  if (cipherBytes.length < 2) throw MALFORMED;
  const cipherSuites = u16List(cipherBytes);
  if (c.vector8().length < 1) throw MALFORMED; // legacy_compression_methods
  const hello = {
    legacyVersion,
    cipherSuites,
    extensions: [] as number[],
    supportedGroups: [] as number[],
    ecPointFormats: [] as number[],
    signatureAlgorithms: [] as number[],
    supportedVersions: [] as number[],
    firstAlpn: null as Uint8Array | null,
  };
  // Before TLS 1.2 extensions were optional: the message may end right here.
  if (c.atEnd()) return hello;
  const block = new Cursor(c.vector16());
  if (!c.atEnd()) throw MALFORMED;
  while (!block.atEnd()) {
    const type = block.u16();
    const data = block.vector16();
    hello.extensions.push(type);
    readExtension(hello, type, data);
  }
  return hello;
}

type MutableHello = {
  -readonly [K in keyof ClientHello]: ClientHello[K] extends readonly number[] ? number[] : ClientHello[K];
};

/** The extensions the fingerprints read; each must fill its data exactly. Others are only listed. */
function readExtension(hello: MutableHello, type: number, data: Uint8Array): void {
  const c = new Cursor(data);
  switch (type) {
    case EXT_SUPPORTED_GROUPS:
      hello.supportedGroups = u16List(c.vector16());
      break;
    case EXT_EC_POINT_FORMATS:
      hello.ecPointFormats = [...c.vector8()];
      break;
    case EXT_SIGNATURE_ALGORITHMS:
      hello.signatureAlgorithms = u16List(c.vector16());
      break;
    case EXT_SUPPORTED_VERSIONS:
      hello.supportedVersions = u16List(c.vector8());
      break;
    case EXT_ALPN: {
      const list = new Cursor(c.vector16());
      let first: Uint8Array | null = null;
      while (!list.atEnd()) {
        const name = list.vector8();
        first ??= name;
      }
      hello.firstAlpn = first;
      break;
    }
    default:
      return;
  }
  if (!c.atEnd()) throw MALFORMED;
}

/** Thrown inside the parser only; parseClientHelloBody turns it into null. */
const MALFORMED = Symbol('malformed ClientHello');

/** A bounded reader: every read checks what is left and throws MALFORMED past the end. */
class Cursor {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  atEnd(): boolean {
    return this.pos === this.buf.length;
  }

  u16(): number {
    return (this.take(1)[0]! << 8) | this.take(1)[0]!;
  }

  skip(n: number): void {
    this.take(n);
  }

  vector8(): Uint8Array {
    return this.take(this.take(1)[0]!);
  }

  vector16(): Uint8Array {
    return this.take(this.u16());
  }

  private take(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) throw MALFORMED;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function u16List(bytes: Uint8Array): number[] {
  if (bytes.length % 2 !== 0) throw MALFORMED;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push(u16(bytes, i));
  return out;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/** The first `length` bytes of the parts joined (the caller knows there are that many). */
function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (at === length) break;
    const piece = p.subarray(0, length - at);
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
