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
/** The 33 fields of a native line: seq, the 30 event fields, prev_hash, hash. */
export const NATIVE_FIELDS = Object.keys(NativeLineSchema.properties) as NativeField[];

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
      d.replace(/^\/([a-z_]+)/, (whole, field: string) =>
        Object.hasOwn(NativeLineSchema.properties, field) ? pointer(placedAt(field as NativeField)) : whole,
      ),
    );
    throw new ViworksError('VIW_E_VALIDATION', { details });
  }
}
