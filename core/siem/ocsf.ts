// The audit event in OCSF 1.8.0 (siem/ocsf/mapping.json, siem/README.md#ocsf). The class comes from
// the action (actions.ts): Authentication 3002, Account Change 3001, Tunnel Activity 4014, API
// Activity 6003, else Base Event 0. A field goes where its class has a place for it (src_endpoint,
// user, session, …) and to `unmapped.<native name>` where it has none, so every field survives in
// every class and the document converts back without loss.
import type { AuditEvent } from '../audit/event.js';
import { ViworksError } from '../errors/viworks-error.js';
import { classifyAction, OCSF_CLASS_UIDS, type OcsfClassUid } from './actions.js';
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

export const OCSF_VERSION = '1.8.0';
export const OCSF_PRODUCT = { name: 'ViWorkS', vendor_name: 'ViWorkS' } as const;

export interface OcsfClass {
  readonly name: string;
  readonly categoryUid: number;
  readonly categoryName: string;
  /** Activity captions by id, as the schema's enum gives them (99 is Other everywhere). */
  readonly activities: Readonly<Record<number, string>>;
}

export const OCSF_CLASSES: Readonly<Record<OcsfClassUid, OcsfClass>> = {
  0: {
    name: 'Base Event',
    categoryUid: 0,
    categoryName: 'Uncategorized',
    activities: { 0: 'Unknown', 99: 'Other' },
  },
  3001: {
    name: 'Account Change',
    categoryUid: 3,
    categoryName: 'Identity & Access Management',
    activities: {
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      7: 'Attach Policy',
      8: 'Detach Policy',
      9: 'Lock',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
      12: 'Unlock',
      99: 'Other',
    },
  },
  3002: {
    name: 'Authentication',
    categoryUid: 3,
    categoryName: 'Identity & Access Management',
    activities: {
      1: 'Logon',
      2: 'Logoff',
      3: 'Authentication Ticket',
      4: 'Service Ticket Request',
      5: 'Service Ticket Renew',
      6: 'Preauth',
      7: 'Account Switch',
      99: 'Other',
    },
  },
  4014: {
    name: 'Tunnel Activity',
    categoryUid: 4,
    categoryName: 'Network Activity',
    activities: { 1: 'Open', 2: 'Close', 3: 'Renew', 99: 'Other' },
  },
  6003: {
    name: 'API Activity',
    categoryUid: 6,
    categoryName: 'Application Activity',
    activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
  },
};

/** Places every class has (mapping.json "placement.common"). */
export const OCSF_COMMON_PLACES: Readonly<Partial<Record<NativeField, string>>> = {
  seq: 'metadata.sequence',
  timestamp: 'time',
  env: 'metadata.tags.0.value',
  site: 'metadata.tags.1.value',
  tenant_id: 'metadata.tenant_uid',
  component: 'metadata.product.feature.name',
  action: 'metadata.event_code',
  severity: 'metadata.log_level',
  trace_id: 'metadata.correlation_uid',
  duration_ms: 'duration',
  error_code: 'status_code',
  error_msg: 'status_detail',
  // The gateway first reported a data-plane event; the backend only collected it.
  gateway: 'metadata.reporter.name',
};

const SRC = {
  src_ip: 'src_endpoint.ip',
  src_port: 'src_endpoint.port',
  asn: 'src_endpoint.autonomous_system.number',
  country: 'src_endpoint.location.country',
} as const;
const DST = { dst_ip: 'dst_endpoint.ip', dst_port: 'dst_endpoint.port' } as const;

/** Places only some classes have (mapping.json "placement.by_class"). */
export const OCSF_CLASS_PLACES: Readonly<
  Record<OcsfClassUid, Readonly<Partial<Record<NativeField, string>>>>
> = {
  0: {},
  3001: { user_id: 'user.uid', ...SRC },
  3002: { user_id: 'user.uid', session_id: 'session.uid', ...SRC, ...DST },
  4014: {
    user_id: 'user.uid',
    session_id: 'session.uid',
    device_id: 'device.uid',
    ...SRC,
    ...DST,
    ovpn_virtual_ip: 'tunnel_interface.ip',
    bytes_in: 'traffic.bytes_in',
    bytes_out: 'traffic.bytes_out',
    // Tunnel Activity (a network class) has the JA4+ list; type_id 1 (JA4) is added beside it.
    tls_ja4: 'ja4_fingerprint_list.0.value',
  },
  6003: { user_id: 'resources.0.uid', ...SRC, ...DST },
};

/** For admin events `cmd` is the acting administrator's pseudonym (docs/admin-api.md): the OCSF actor. */
export const OCSF_ADMIN_ACTOR = { path: 'actor.user.uid', classes: [3001, 3002, 6003] } as const;

/** Where `field` of an event of this class and component lives. */
export function ocsfPath(field: NativeField, classUid: OcsfClassUid, component: string): string {
  const common = OCSF_COMMON_PLACES[field];
  if (common) return common;
  const own = OCSF_CLASS_PLACES[classUid][field];
  if (own) return own;
  if (
    field === 'cmd' &&
    component === 'admin' &&
    (OCSF_ADMIN_ACTOR.classes as readonly number[]).includes(classUid)
  )
    return OCSF_ADMIN_ACTOR.path;
  return `unmapped.${field}`;
}

/** severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical; our word stays in metadata.log_level. */
export const OCSF_SEVERITY: Readonly<Record<AuditEvent['severity'], readonly [number, string]>> = {
  debug: [1, 'Informational'],
  info: [1, 'Informational'],
  notice: [2, 'Low'],
  warning: [3, 'Medium'],
  error: [4, 'High'],
  critical: [5, 'Critical'],
};

/** status_id: 1 Success, 2 Failure; our four results stay in unmapped.result. */
const STATUS: Readonly<Record<AuditEvent['result'], readonly [number, string]>> = {
  success: [1, 'Success'],
  failure: [2, 'Failure'],
  denied: [2, 'Failure'],
  error: [2, 'Failure'],
};

/** OCSF `time` is epoch milliseconds: the event's timestamp exactly, or the event is refused. */
function epochMs(timestamp: string): number {
  const ms = Date.parse(timestamp);
  if (!Number.isSafeInteger(ms) || new Date(ms).toISOString() !== timestamp)
    throw new ViworksError('VIW_E_VALIDATION', { details: ['/timestamp: not a calendar instant'] });
  return ms;
}

function isoOf(ms: unknown): string | null {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function recordToOcsf(record: ShippedRecord): SiemDocument {
  const e = record.event;
  const { classUid, activityId } = classifyAction(e.action);
  const cls = OCSF_CLASSES[classUid];
  const activityName = activityId === 99 ? e.action : (cls.activities[activityId] ?? 'Unknown');
  const [severityId, severity] = OCSF_SEVERITY[e.severity];
  const [statusId, status] = STATUS[e.result];
  const doc: SiemDocument = {
    class_uid: classUid,
    class_name: cls.name,
    category_uid: cls.categoryUid,
    category_name: cls.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classUid * 100 + activityId,
    type_name: `${cls.name}: ${cls.activities[activityId] ?? 'Unknown'}`,
    time: epochMs(e.timestamp),
    severity_id: severityId,
    severity,
    status_id: statusId,
    status,
    message: `${e.action} ${e.result}`,
    metadata: {
      version: OCSF_VERSION,
      product: { ...OCSF_PRODUCT, feature: {} },
      uid: siemDocumentId(record),
      log_name: 'audit',
      tags: [{ name: 'env' }, { name: 'site' }],
    },
  };
  const line = recordToNative(record);
  for (const field of NATIVE_FIELDS) {
    const value = line[field];
    if (value !== null && value !== undefined && field !== 'timestamp')
      setPath(doc, ocsfPath(field, classUid, e.component), value);
  }
  addClassAttributes(doc, classUid, e);
  return doc;
}

/** What a class requires or expects beside the placed fields (mapping.json "derived"). */
function addClassAttributes(doc: SiemDocument, classUid: OcsfClassUid, e: AuditEvent): void {
  if (classUid === 3001 || classUid === 3002) {
    // `user` is required here; a failed login of an unknown name has none (the name is never recorded).
    if (e.user_id === null) doc.user = { name: 'unknown', type_id: 0, type: 'Unknown' };
  }
  if (classUid === 3002) doc.service = { name: OCSF_PRODUCT.name };
  if (classUid === 4014) {
    if (e.session_id !== null) setPath(doc, 'session.is_vpn', true);
    if (e.device_id !== null) {
      setPath(doc, 'device.type_id', 0);
      setPath(doc, 'device.type', 'Unknown');
    }
    if (e.ovpn_virtual_ip !== null) {
      setPath(doc, 'tunnel_interface.type_id', 4);
      setPath(doc, 'tunnel_interface.type', 'Tunnel');
    }
    if (e.tls_ja4 !== undefined) {
      setPath(doc, 'ja4_fingerprint_list.0.type_id', 1);
      setPath(doc, 'ja4_fingerprint_list.0.type', 'JA4');
    }
  }
  if (classUid === 6003) {
    setPath(doc, 'actor.app_name', OCSF_PRODUCT.name);
    setPath(doc, 'api.operation', e.action);
    if (e.user_id !== null) setPath(doc, 'resources.0.type', 'User');
  }
}

/** Reads the record back; the caller (fromSiemDocument) then checks the whole document against it. */
export function ocsfToRecord(doc: SiemDocument): ShippedRecord {
  const classUid = doc.class_uid;
  if (!(OCSF_CLASS_UIDS as readonly unknown[]).includes(classUid))
    throw new ViworksError('VIW_E_VALIDATION', { details: ['/class_uid: not a class this format emits'] });
  const component = getPath(doc, OCSF_COMMON_PLACES.component!);
  const where = (field: NativeField) =>
    ocsfPath(field, classUid as OcsfClassUid, typeof component === 'string' ? component : '');
  const line = gatherLine((field) => {
    const value = getPath(doc, where(field));
    return field === 'timestamp' ? isoOf(value ?? null) : value;
  });
  return recordFromPlacedLine(line, where);
}
