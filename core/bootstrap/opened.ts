// Opening the bootstrap plaintext without ever turning a secret into a JavaScript string (issue #13):
// JS strings are immutable and linger in the heap until the garbage collector reuses their memory,
// so a key that was once a string can be found in the daemon's memory long after the session.
//
//   1. A strict JSON scanner walks the plaintext BYTES and finds the four secret string values by
//      their path (spa.enc_key, spa.hmac_key, ovpn.tls_crypt_key_inline, ovpn.key_inline).
//   2. Each is decoded from its JSON escapes straight into a Buffer and checked byte by byte
//      (secret-bytes.ts): the SPA keys become their raw bytes, the two PEM-like texts stay text.
//   3. A copy of the plaintext with those values replaced by fixed, valid dummies is what
//      JSON.parse and the full payload schema see (every other field, unknown fields, sizes, the
//      validity window: validateBootstrap). The dummies must come back exactly, so a scanner that
//      misread the structure cannot let a secret through as a string.
// The caller owns the secrets and wipes them (wipeBootstrapSecrets) at the session's end or on
// any failure; everything that fails here wipes what it made first.
import { secretBytes } from '../crypto/bytes.js';
import { ViworksError } from '../errors/viworks-error.js';
import { findStringSpans, type Span } from '../secrets/json-spans.js';
import { unescapeJsonUtf8 } from '../secrets/secret-text.js';
import { BOOTSTRAP_MAX_BYTES, type BootstrapPayload, validateBootstrap } from './payload.js';
import { base64BytesToBuffer, pemBlock, staticKeyBlock } from './secret-bytes.js';

/** The session's key material, each a Buffer the session owns and wipes. */
export interface BootstrapSecrets {
  /** fwknop KEY (raw 32 bytes). */
  readonly spaEncKey: Buffer;
  /** fwknop HMAC_KEY (raw 32–136 bytes). */
  readonly spaHmacKey: Buffer;
  /** The OpenVPN static key block for tls-crypt (text, as OpenVPN reads it). */
  readonly tlsCryptKey: Buffer;
  /** The session's client private key (PKCS#8 PEM text). */
  readonly clientKeyPem: Buffer;
}

type Spa = BootstrapPayload['spa'];
type Ovpn = BootstrapPayload['ovpn'];
/** The payload without its secrets: what the session keeps as plain values. */
export type PublicBootstrap = Omit<BootstrapPayload, 'spa' | 'ovpn'> & {
  readonly spa: Omit<Spa, 'enc_key' | 'hmac_key'>;
  readonly ovpn: Omit<Ovpn, 'tls_crypt_key_inline' | 'key_inline'>;
};

export type PublicOvpn = PublicBootstrap['ovpn'];
/** What OpenVPN's config needs of the secrets. */
export type OvpnSecretsOf = Pick<BootstrapSecrets, 'tlsCryptKey' | 'clientKeyPem'>;

export interface OpenedBootstrap {
  readonly payload: PublicBootstrap;
  readonly secrets: BootstrapSecrets;
}

const DUMMY_KEY_B64 = `${'A'.repeat(43)}=`;
const DUMMY_STATIC_KEY = `-----BEGIN OpenVPN Static key V1-----\n${`${'0'.repeat(32)}\n`.repeat(16)}-----END OpenVPN Static key V1-----\n`;
const DUMMY_PEM_KEY = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';

/** Where the secrets are, what stands in for them, and how their bytes are checked. */
const SECRET_FIELDS = {
  'spa.enc_key': { dummy: DUMMY_KEY_B64, decode: (b: Uint8Array) => sized(base64BytesToBuffer(b), 32, 32) },
  'spa.hmac_key': { dummy: DUMMY_KEY_B64, decode: (b: Uint8Array) => sized(base64BytesToBuffer(b), 32, 136) },
  'ovpn.tls_crypt_key_inline': { dummy: DUMMY_STATIC_KEY, decode: staticKeyBlock },
  'ovpn.key_inline': { dummy: DUMMY_PEM_KEY, decode: (b: Uint8Array) => pemBlock(b, 'PRIVATE KEY') },
} as const;
type SecretPath = keyof typeof SECRET_FIELDS;
const SECRET_PATHS = Object.keys(SECRET_FIELDS) as SecretPath[];

function sized(b: Buffer | null, min: number, max: number): Buffer | null {
  if (b && (b.length < min || b.length > max)) {
    b.fill(0);
    return null;
  }
  return b;
}

const invalid = (detail: string) => new ViworksError('VIW_E_BOOTSTRAP_INVALID', { details: [detail] });

/** Zeroes every secret of a session (idempotent). */
export function wipeBootstrapSecrets(s: BootstrapSecrets | null | undefined): void {
  if (!s) return;
  s.spaEncKey.fill(0);
  s.spaHmacKey.fill(0);
  s.tlsCryptKey.fill(0);
  s.clientKeyPem.fill(0);
}

/**
 * Parses and validates the opened plaintext (UTF-8 JSON): the public payload as plain values and
 * the secrets as Buffers. Throws VIW_E_BOOTSTRAP_INVALID (field paths only, never content),
 * VIW_E_BOOTSTRAP_EXPIRED or VIW_E_CLOCK_SKEW. Does not modify or wipe `plaintext`.
 */
export function openBootstrapPlaintext(plaintext: Uint8Array, now: Date = new Date()): OpenedBootstrap {
  if (plaintext.byteLength > BOOTSTRAP_MAX_BYTES) throw invalid('payload too large');
  const spans = findSecretSpans(plaintext);
  const made: Buffer[] = [];
  try {
    const secrets: Partial<Record<SecretPath, Buffer>> = {};
    for (const path of SECRET_PATHS) {
      const span = spans.get(path);
      if (!span) throw invalid(`/${path.replace('.', '/')}: missing or not a string`);
      const raw = unescapeJsonString(plaintext.subarray(span.start, span.end));
      if (!raw) throw invalid(`/${path.replace('.', '/')}: characters not allowed`);
      made.push(raw);
      const value = SECRET_FIELDS[path].decode(raw);
      if (!value) throw invalid(`/${path.replace('.', '/')}: not the expected format`);
      made.push(value);
      secrets[path] = value;
    }
    const masked = maskedCopy(plaintext, spans);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(masked));
    } catch {
      throw invalid('not UTF-8 JSON');
    }
    const full = validateBootstrap(value, now);
    if (
      full.spa.enc_key !== DUMMY_KEY_B64 ||
      full.spa.hmac_key !== DUMMY_KEY_B64 ||
      full.ovpn.tls_crypt_key_inline !== DUMMY_STATIC_KEY ||
      full.ovpn.key_inline !== DUMMY_PEM_KEY
    ) {
      throw invalid('secret fields not where the scanner found them');
    }
    const { enc_key: _e, hmac_key: _h, ...spa } = full.spa;
    const { tls_crypt_key_inline: _t, key_inline: _k, ...ovpn } = full.ovpn;
    // The intermediate buffers (escaped text) are wiped; the returned ones are the session's.
    const keep = new Set(Object.values(secrets));
    for (const b of made) if (!keep.has(b)) b.fill(0);
    return {
      payload: { ...full, spa, ovpn },
      secrets: {
        spaEncKey: secrets['spa.enc_key']!,
        spaHmacKey: secrets['spa.hmac_key']!,
        tlsCryptKey: secrets['ovpn.tls_crypt_key_inline']!,
        clientKeyPem: secrets['ovpn.key_inline']!,
      },
    };
  } catch (err) {
    for (const b of made) b.fill(0);
    throw err;
  }
}

/** The plaintext with every secret's content replaced by its dummy (a new buffer; no secret in it). */
function maskedCopy(plaintext: Uint8Array, spans: ReadonlyMap<SecretPath, Span>): Buffer {
  const ordered = [...spans.entries()].sort((x, y) => x[1].start - y[1].start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const [path, span] of ordered) {
    parts.push(Buffer.from(plaintext.subarray(at, span.start)));
    parts.push(Buffer.from(JSON.stringify(SECRET_FIELDS[path].dummy).slice(1, -1), 'utf8'));
    at = span.end;
  }
  parts.push(Buffer.from(plaintext.subarray(at)));
  return Buffer.concat(parts);
}

function findSecretSpans(b: Uint8Array): Map<SecretPath, Span> {
  return findStringSpans(b, isSecretPath, (detail) => {
    throw invalid(detail);
  }) as Map<SecretPath, Span>;
}

function isSecretPath(p: string): p is SecretPath {
  return Object.hasOwn(SECRET_FIELDS, p);
}

/**
 * A JSON string's content (between the quotes) decoded into a new Buffer; only printable ASCII and
 * newlines may result (what the secret formats allow). Null otherwise.
 */
function unescapeJsonString(src: Uint8Array): Buffer | null {
  const out = unescapeJsonUtf8(src, secretBytes) as Buffer | null;
  if (out?.some((c) => c !== 0x0a && (c < 0x20 || c > 0x7e))) {
    out.fill(0);
    return null;
  }
  return out;
}
