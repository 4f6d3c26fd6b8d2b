// The audit event in Elastic Common Schema 8.17 (siem/ecs/mapping.json, siem/README.md#ecs). Real ECS
// fields wherever ECS has one; the rest under `viworks.*`. pki-siem §8.3 names some fields ECS does
// not have (network.client.ip, subject.user_id, …); we follow ECS and list every deviation in the
// mapping file. Where ECS normalizes a value (event.outcome has three words, event.duration is in
// nanoseconds), our exact value is kept beside it, so the document converts back without loss.
import type { AuditEvent } from '../audit/event.js';
import { classifyAction } from './actions.js';
import { getPath, type SiemDocument, setPath } from './document.js';
import {
  gatherLine,
  NATIVE_FIELDS,
  type NativeField,
  recordFromPlacedLine,
  recordToNative,
  type ShippedRecord,
  siemDocumentId,
} from './native.js';

export const ECS_VERSION = '8.17.0';

/** Where each native field lives in the ECS document (mapping.json "fields"). */
export const ECS_FIELD_PATHS: Readonly<Record<NativeField, string>> = {
  seq: 'event.sequence',
  timestamp: '@timestamp',
  env: 'labels.env',
  site: 'labels.site',
  tenant_id: 'labels.tenant',
  user_id: 'user.id',
  device_id: 'device.id',
  session_id: 'viworks.session.id',
  src_ip: 'source.ip',
  src_port: 'source.port',
  dst_ip: 'destination.ip',
  dst_port: 'destination.port',
  proto: 'network.transport',
  asn: 'source.as.number',
  country: 'source.geo.country_iso_code',
  component: 'event.provider',
  action: 'event.action',
  result: 'viworks.result',
  severity: 'log.level',
  fwknop_id: 'viworks.fwknop_id',
  tls_ja3: 'tls.client.ja3',
  ovpn_virtual_ip: 'viworks.ovpn.ip',
  policy_id: 'viworks.policy.id',
  trace_id: 'trace.id',
  cmd: 'viworks.cmd',
  rc: 'viworks.rc',
  // ECS counts bytes per direction: destination.bytes is what the destination sent to the source.
  bytes_in: 'destination.bytes',
  bytes_out: 'source.bytes',
  duration_ms: 'viworks.duration_ms',
  error_code: 'error.code',
  error_msg: 'error.message',
  // The gateway is the device that saw a data-plane event: ECS observer ("a special network,
  // security, or application device", e.g. a firewall), whose `name` is the custom name we give it.
  gateway: 'observer.name',
  // ECS 8.17 has tls.client.ja3 but no JA4 field; custom fields stay out of ECS field sets.
  tls_ja4: 'viworks.tls.client.ja4',
  prev_hash: 'viworks.prev_hash',
  hash: 'event.hash',
};

/** Fields computed from the record (mapping.json "derived"); checked, never read, on the way back. */
export const ECS_DERIVED_PATHS = [
  'ecs.version',
  'event.kind',
  'event.module',
  'event.dataset',
  'event.id',
  'event.outcome',
  'event.severity',
  'event.duration',
  'event.category',
  'event.type',
  'related.ip',
] as const;

/** event.severity: the syslog severity number (RFC 5424 §6.2.1), as the syslog path sends it. */
export const ECS_SEVERITY: Readonly<Record<AuditEvent['severity'], number>> = {
  critical: 2,
  error: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

const OUTCOME: Readonly<Record<AuditEvent['result'], 'success' | 'failure'>> = {
  success: 'success',
  failure: 'failure',
  denied: 'failure',
  error: 'failure',
};

const NS_PER_MS = 1_000_000;

export function recordToEcs(record: ShippedRecord): SiemDocument {
  const e = record.event;
  const doc: SiemDocument = { '@timestamp': e.timestamp, ecs: { version: ECS_VERSION } };
  const line = recordToNative(record);
  for (const field of NATIVE_FIELDS) {
    const value = line[field];
    if (value !== null && value !== undefined) setPath(doc, ECS_FIELD_PATHS[field], value);
  }
  const kind = classifyAction(e.action);
  setPath(doc, 'event.kind', 'event');
  setPath(doc, 'event.module', 'viworks');
  setPath(doc, 'event.dataset', 'viworks.audit');
  setPath(doc, 'event.id', siemDocumentId(record));
  setPath(doc, 'event.outcome', OUTCOME[e.result]);
  setPath(doc, 'event.severity', ECS_SEVERITY[e.severity]);
  // Nanoseconds overflow a double's exact range after ~104 days; viworks.duration_ms stays exact.
  if (e.duration_ms !== null) setPath(doc, 'event.duration', e.duration_ms * NS_PER_MS);
  if (kind.ecsCategory.length > 0) setPath(doc, 'event.category', [...kind.ecsCategory]);
  if (kind.ecsType.length > 0) setPath(doc, 'event.type', [...kind.ecsType]);
  const ips = [...new Set([e.src_ip, e.dst_ip, e.ovpn_virtual_ip].filter((ip) => ip !== null))];
  if (ips.length > 0) setPath(doc, 'related.ip', ips);
  return doc;
}

/** Reads the record back; the caller (fromSiemDocument) then checks the whole document against it. */
export function ecsToRecord(doc: SiemDocument): ShippedRecord {
  const line = gatherLine((field) => getPath(doc, ECS_FIELD_PATHS[field]));
  return recordFromPlacedLine(line, (field) => ECS_FIELD_PATHS[field]);
}
