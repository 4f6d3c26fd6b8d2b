// The signed manifest of one sealed audit batch (docs/audit.md#batches, pki-siem §4.3): which events
// the batch holds (a contiguous seq range), their RFC 6962 Merkle root, the hash chain's head at its
// last event (binding the batch to the chain), and the SHA-256 of the previous manifest (binding the
// batches to each other), signed by the audit key. Verifiers outside the backend re-derive all of
// this from the definitions here (siem/verify/viworks-audit-verify.mjs repeats them on purpose).
import { createHash } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../errors/viworks-error.js';
import { closed, strictValidator } from '../schema/strict.js';
import { canonicalJson } from './chain.js';
import { leafHash } from './merkle.js';

/** prev_manifest of batch 1. */
export const FIRST_PREV_MANIFEST = '0'.repeat(64);

/** Prefix of the signed bytes: a manifest signature can never be taken for any other signature. */
export const MANIFEST_SIGNING_PREFIX = 'viworks-audit-manifest-v1\n';

/** A manifest file is a few hundred bytes; anything far larger is refused before parsing. */
export const MAX_MANIFEST_BYTES = 4096;

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' });

const unsignedFields = {
  v: Type.Literal(1),
  /** 1, 2, 3… in seal order. */
  batch: Type.Integer({ minimum: 1, maximum: 2147483647 }),
  first_seq: Seq,
  last_seq: Seq,
  count: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  /** Timestamps of the first and the last event. */
  from: Timestamp,
  to: Timestamp,
  /** Hex RFC 6962 Merkle root over the batch's event leaves (eventLeafData), in seq order. */
  root: Hex64,
  /** The hash chain's hash of the last event. */
  chain_head: Hex64,
  /** Hex SHA-256 of the previous manifest's canonical JSON, signature included. */
  prev_manifest: Hex64,
  sealed_at: Timestamp,
  /** Hex SHA-256 of the signing key's SPKI DER (server/services/audit/signer.ts keyIdOf). */
  key_id: Hex64,
  alg: Type.Enum(['ed25519', 'ecdsa-p256-sha256']),
};

export const UnsignedManifestSchema = Type.Object(unsignedFields, closed);
export const BatchManifestSchema = Type.Object(
  {
    ...unsignedFields,
    /** Base64 signature over manifestSignedBytes (Ed25519: 64 bytes; ECDSA P-256: IEEE P1363 r‖s). */
    sig: Type.String({ minLength: 4, maxLength: 200, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  closed,
);

export type UnsignedManifest = Static<typeof UnsignedManifestSchema>;
export type BatchManifest = Static<typeof BatchManifestSchema>;

const validator = strictValidator(BatchManifestSchema);

/** The bytes the audit key signs: the prefix, then the canonical JSON of the manifest without sig. */
export function manifestSignedBytes(manifest: UnsignedManifest | BatchManifest): Buffer {
  const { sig: _sig, ...unsigned } = manifest as BatchManifest;
  return Buffer.from(MANIFEST_SIGNING_PREFIX + canonicalJson(unsigned), 'utf8');
}

/** The manifest as stored and archived: canonical JSON, signature included. */
export function manifestText(manifest: BatchManifest): string {
  return canonicalJson(manifest);
}

/** What the next manifest's prev_manifest must be. */
export function manifestDigest(manifest: BatchManifest): string {
  return createHash('sha256').update(manifestText(manifest), 'utf8').digest('hex');
}

/** Schema-checked manifest; throws VIW_E_VALIDATION naming the failing fields. */
export function parseManifest(value: unknown): BatchManifest {
  return validator.parse(value);
}

/** Parses a stored or archived manifest (size-capped); throws VIW_E_VALIDATION. */
export function parseManifestText(text: string): BatchManifest {
  if (Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES)
    throw new ViworksError('VIW_E_VALIDATION', { details: [`/: larger than ${MAX_MANIFEST_BYTES} bytes`] });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['/: not JSON'] });
  }
  return validator.parse(value);
}

/** What a batch's range says about itself: count and range must agree. */
export function manifestRangeConsistent(m: UnsignedManifest): boolean {
  return m.last_seq >= m.first_seq && m.count === m.last_seq - m.first_seq + 1;
}

/**
 * The Merkle leaf of one event: the UTF-8 of canonicalJson({ seq, event }). Any copy that carries
 * the seq and the event's fields — the database, the NDJSON line, a SIEM document — can be checked.
 */
export function eventLeafData(seq: number, event: unknown): Buffer {
  return Buffer.from(canonicalJson({ seq, event }), 'utf8');
}

export function eventLeafHash(seq: number, event: unknown): Buffer {
  return leafHash(eventLeafData(seq, event));
}

/** Zero-padded batch number used for archive file names (`batches/000000000042.ndjson`). */
export function batchFileStem(batch: number): string {
  return String(batch).padStart(12, '0');
}
