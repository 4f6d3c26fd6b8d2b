// What a shipped audit event looks like at the SIEM (pki-siem §3.5/§8.3, siem/README.md): the native
// line, Elastic Common Schema or OCSF. Each format has an exact inverse: an auditor takes a SIEM
// export back to the records that the signed Merkle manifests cover and checks them there
// (siem/verify/), so nothing may be lost, rounded or reinterpreted on the way out — and a document
// is accepted back only if it is exactly what its record encodes to.
import { assertSameDocument, requireObject, type SiemDocument } from './document.js';
import { ecsToRecord, recordToEcs } from './ecs.js';
import { nativeToRecord, recordToNative, type ShippedRecord } from './native.js';
import { ocsfToRecord, recordToOcsf } from './ocsf.js';

export { type ShippedRecord, siemDocumentId } from './native.js';

export const SIEM_FORMATS = ['native', 'ecs', 'ocsf'] as const;
export type SiemFormat = (typeof SIEM_FORMATS)[number];

export function toSiemDocument(format: SiemFormat, record: ShippedRecord): SiemDocument {
  switch (format) {
    case 'native':
      return recordToNative(record);
    case 'ecs':
      return recordToEcs(record);
    case 'ocsf':
      return recordToOcsf(record);
  }
}

/**
 * The record a SIEM document came from. Throws VIW_E_VALIDATION naming the document path at fault:
 * a field of the wrong shape, or any key, value or derived field that is not exactly what the
 * record encodes to (so a document edited after it left cannot pass as the signed record).
 */
export function fromSiemDocument(format: SiemFormat, doc: unknown): ShippedRecord {
  const object = requireObject(doc);
  const record =
    format === 'native'
      ? nativeToRecord(object)
      : format === 'ecs'
        ? ecsToRecord(object)
        : ocsfToRecord(object);
  assertSameDocument(toSiemDocument(format, record), object);
  return record;
}
