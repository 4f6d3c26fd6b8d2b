// The sealed-bootstrap envelope, version 1: its JSON shape, its limits and the exact AAD bytes.
// This file is the wire contract between the backend (seals) and the desktop client (opens);
// change it only by adding a new version.
//
//   {
//     "v": 1,
//     "suite": "X25519-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305"
//            | "P256-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305",
//     "enc": "<base64, standard alphabet, no padding, canonical: the suite's Nenc — 32 bytes = 43
//             chars (X25519), 65 bytes = 87 chars (P-256, uncompressed point)>",
//     "ct":  "<base64, same rules: HPKE ciphertext incl. 16-byte tag, 17 B .. 256 KiB>",
//     "aad": {
//       "device_id":  "<[A-Za-z0-9_-]{1,64}>",
//       "session_id": "<[A-Za-z0-9_-]{1,64}>",
//       "exp":        "<RFC 3339 UTC, whole seconds: YYYY-MM-DDTHH:MM:SSZ>"
//     }
//   }
//
// Two suites, one per kind of device key, both RFC 9180 base mode with HKDF-SHA256 and
// ChaCha20Poly1305: DHKEM(X25519) for software keys (hpke.ts) and DHKEM(P-256) for keys held in a TPM
// 2.0 (hpke-p256.ts). A device has exactly one, fixed at enrollment (its key type): the backend seals
// with it and the device refuses the other. Adding the P-256 suite left every X25519 envelope and its
// AAD byte for byte as before.
//
// Every object is closed (unknown fields are refused). `aad` holds the members that travel in the
// clear yet are authenticated; the AEAD's AAD input is the canonical encoding below, which also
// covers `v` and `suite`. `enc` is bound by HPKE itself (it is part of the KEM context), and `ct`
// by the AEAD tag, so a change to any field makes opening fail.
//
// AAD = field(v) || field(suite) || field(device_id) || field(session_id) || field(exp)
//   field(x) = uint16_be(len(x)) || x,   x as ASCII bytes, v as its decimal digits ("1")
// Length prefixes make the encoding injective; the schema keeps every member ASCII, so there is
// no Unicode normalisation question.
import { type Static, Type } from 'typebox';
import { ViworksError } from '../errors/viworks-error.js';
import { closed, strictValidator } from '../schema/strict.js';
import { AEAD_TAG_BYTES, P256_POINT_BYTES, X25519_KEY_BYTES } from './hpke-sizes.js';

export const ENVELOPE_VERSION = 1;
/** The suite of software device keys (X25519). */
export const ENVELOPE_SUITE = 'X25519-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305';
/** The suite of TPM device keys (P-256). */
export const ENVELOPE_SUITE_P256 = 'P256-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305';
export const ENVELOPE_SUITES = [ENVELOPE_SUITE, ENVELOPE_SUITE_P256] as const;
export type EnvelopeSuite = (typeof ENVELOPE_SUITES)[number];
/** Length of `enc` (RFC 9180 Nenc) in each suite. */
export const ENVELOPE_ENC_BYTES: Readonly<Record<EnvelopeSuite, number>> = {
  [ENVELOPE_SUITE]: X25519_KEY_BYTES,
  [ENVELOPE_SUITE_P256]: P256_POINT_BYTES,
};
/** HPKE `info`: ties the key schedule to this protocol and purpose, so a key sealed for another use never opens here. */
export const ENVELOPE_INFO = new TextEncoder().encode('viworks/bootstrap/v1');
/** Decoded ciphertext cap; a bootstrap is a few KiB, this leaves room without inviting abuse. */
export const MAX_CT_BYTES = 256 * 1024;
export const MAX_PLAINTEXT_BYTES = MAX_CT_BYTES - AEAD_TAG_BYTES;
/** An `exp` further ahead than this is refused: the backend issues short-lived bootstraps only. */
export const MAX_EXP_AHEAD_MS = 10 * 60 * 1000;

const b64Length = (bytes: number): number => Math.ceil((bytes * 4) / 3);
const ID = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$' });
const B64 = '^[A-Za-z0-9+/]*$';

export const EnvelopeSchema = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    suite: Type.Union([Type.Literal(ENVELOPE_SUITE), Type.Literal(ENVELOPE_SUITE_P256)]),
    // The exact length for the envelope's suite is checked after decoding (envelope.ts).
    enc: Type.String({
      minLength: b64Length(X25519_KEY_BYTES),
      maxLength: b64Length(P256_POINT_BYTES),
      pattern: B64,
    }),
    ct: Type.String({
      minLength: b64Length(AEAD_TAG_BYTES + 1),
      maxLength: b64Length(MAX_CT_BYTES),
      pattern: B64,
    }),
    aad: Type.Object(
      {
        device_id: ID,
        session_id: ID,
        exp: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' }),
      },
      closed,
    ),
  },
  closed,
);
export type Envelope = Static<typeof EnvelopeSchema>;
export type EnvelopeAad = Envelope['aad'];

export const envelopeValidator = strictValidator(EnvelopeSchema);
const aadValidator = strictValidator(EnvelopeSchema.properties.aad);

/** Checks the `aad` members on the sealing side, so the backend can never emit what a client refuses. */
export function parseAad(value: unknown): EnvelopeAad {
  const aad = aadValidator.parse(value, 'VIW_E_ENVELOPE_INVALID');
  parseExp(aad.exp);
  return aad;
}

/** The canonical AAD bytes (see the header comment) of an envelope in `suite`. */
export function encodeAad(aad: EnvelopeAad, suite: EnvelopeSuite = ENVELOPE_SUITE): Uint8Array {
  const fields = [String(ENVELOPE_VERSION), suite, aad.device_id, aad.session_id, aad.exp];
  const parts = fields.map((f) => Buffer.from(f, 'ascii'));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 2 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    at = out.writeUInt16BE(p.length, at);
    at += p.copy(out, at);
  }
  return out;
}

/** RFC 3339 UTC with whole seconds; sub-second parts are dropped, so a bootstrap expires early, never late. */
export function formatExp(exp: Date): string {
  return exp.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Epoch milliseconds of a schema-shaped `exp`; refuses calendar nonsense such as Feb 30 or 24:00:00. */
export function parseExp(exp: string): number {
  const ms = Date.parse(exp);
  if (!Number.isFinite(ms) || formatExp(new Date(ms)) !== exp) {
    throw new ViworksError('VIW_E_ENVELOPE_INVALID', { details: ['/aad/exp: not a valid UTC time'] });
  }
  return ms;
}
