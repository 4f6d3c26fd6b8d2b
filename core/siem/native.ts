// The native SIEM format and the record every format encodes: the flat NDJSON line the backend
// writes to <dataDir>/audit/audit.ndjson, `{seq, ...event, prev_hash, hash}`.
import { type Static, Type } from 'typebox';
import { type AuditEvent, AuditEventSchema } from '../audit/event.js';
import { ViworksError } from '../errors/viworks-error.js';
import { closed, strictValidator } from '../schema/strict.js';
import { pointer, type SiemDocument } from './document.js';

/** One stored event as it leaves the backend: its place in the chain and the event itself. */
export interface ShippedRecord {
  readonly seq: number;
  readonly hash: string;
  readonly prevHash: string;
  readonly event: AuditEvent;
}

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** The native line: `{seq, ...event, prev_hash, hash}`, as in <dataDir>/audit/audit.ndjson. */
export const NativeLineSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    ...AuditEventSchema.properties,
    prev_hash: Hash,
    hash: Hash,
  },
  closed,
);
const nativeLine = strictValidator(NativeLineSchema);

export type NativeLine = Static<typeof NativeLineSchema>;
export type NativeField = keyof NativeLine;
/** The fields of a native line: seq, the 30 mandatory event fields, the extensions, prev_hash, hash. */
export const NATIVE_FIELDS = Object.keys(NativeLineSchema.properties) as NativeField[];
/**
 * The extension fields (gateway, tls_ja4): absent from an event unless known. Every format leaves
 * them out when absent and reads them back as absent, never as null, so an event recorded before
 * they existed converts back to exactly what was hashed.
 */
export const OPTIONAL_FIELDS: ReadonlySet<NativeField> = new Set(
  NATIVE_FIELDS.filter((f) => !(NativeLineSchema.required as readonly string[]).includes(f)),
);

/**
 * The native line of a document read from another format: each field where `placedAt` says, a
 * missing mandatory field as null (validation then names it), a missing extension left out.
 */
export function gatherLine(read: (field: NativeField) => unknown): Record<NativeField, unknown> {
  const line = {} as Record<NativeField, unknown>;
  for (const field of NATIVE_FIELDS) {
    const value = read(field);
    if (value !== undefined) line[field] = value;
    else if (!OPTIONAL_FIELDS.has(field)) line[field] = null;
  }
  return line;
}

/** The SIEM-side identity of a record: Elasticsearch _id, ECS event.id, OCSF metadata.uid. */
export function siemDocumentId(record: ShippedRecord): string {
  return `${record.event.tenant_id}-${record.seq}`;
}

export function recordToNative(record: ShippedRecord): SiemDocument {
  return { seq: record.seq, ...record.event, prev_hash: record.prevHash, hash: record.hash };
}

/** Validates a native line (VIW_E_VALIDATION naming the field) and splits it into the record. */
export function nativeToRecord(doc: unknown): ShippedRecord {
  const { seq, prev_hash, hash, ...event } = nativeLine.parse(doc);
  return { seq, prevHash: prev_hash, hash, event };
}

/**
 * Validates a native line gathered from another format's document. Error details name the path in
 * that document (`/source/port: …`), which is what the person holding the export can find.
 */
export function recordFromPlacedLine(
  line: Record<NativeField, unknown>,
  placedAt: (field: NativeField) => string,
): ShippedRecord {
  try {
    return nativeToRecord(line);
  } catch (err) {
    if (!(err instanceof ViworksError)) throw err;
    const details = err.details.map((d) =>
      d.replace(/^\/([a-z0-9_]+)/, (whole, field: string) =>
        Object.hasOwn(NativeLineSchema.properties, field) ? pointer(placedAt(field as NativeField)) : whole,
      ),
    );
    throw new ViworksError('VIW_E_VALIDATION', { details });
  }
}
