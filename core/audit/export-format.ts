// The two formats of an audit export (GET /admin/audit/export, docs/admin-api.md):
// - NDJSON: one record per line in the `audit.ndjson` line format ({seq, …event, prev_hash, hash}),
//   so a complete export is a copy `viworks-server audit verify --ndjson FILE` can check;
// - CSV (RFC 4180, CRLF line ends): a fixed header, one column per event field, cells quoted when
//   they hold a quote, comma or line break. A spreadsheet runs a cell that starts with = + - @ (or a
//   tab or CR) as a formula, so such text cells get a leading apostrophe: an attacker who got text
//   into an event (a hostname, a message) cannot make an analyst's spreadsheet run it. Numbers are
//   written as numbers (a negative `rc` stays -1: no text can hide in a number).
import type { AuditEvent } from './event.js';

/** What an export writes for each event: its place in the chain and the event itself. */
export interface ExportRecord {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly event: AuditEvent;
}

type EventField = keyof AuditEvent;

/** The event's fields, in the normalized schema's order (core/audit/event.ts); extensions last. */
export const AUDIT_EVENT_FIELDS = [
  'timestamp',
  'env',
  'site',
  'tenant_id',
  'user_id',
  'device_id',
  'session_id',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  'proto',
  'asn',
  'country',
  'component',
  'action',
  'result',
  'severity',
  'fwknop_id',
  'tls_ja3',
  'ovpn_virtual_ip',
  'policy_id',
  'trace_id',
  'cmd',
  'rc',
  'bytes_in',
  'bytes_out',
  'duration_ms',
  'error_code',
  'error_msg',
  'gateway',
  'tls_ja4',
] as const satisfies readonly EventField[];

/** The CSV header, fixed: a column is only ever added at the end (with a new schema version). */
export const AUDIT_CSV_COLUMNS = ['seq', ...AUDIT_EVENT_FIELDS, 'prev_hash', 'hash'] as const;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV cell: empty for null/absent, numbers as they are, text guarded and quoted as needed. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(r: ExportRecord): string {
  const cells = [
    csvCell(r.seq),
    ...AUDIT_EVENT_FIELDS.map((f) => csvCell(r.event[f])),
    csvCell(r.prevHash),
    csvCell(r.hash),
  ];
  return `${cells.join(',')}\r\n`;
}

/** One line of the `audit.ndjson` format (server/services/audit/service.ts writes the same). */
export function ndjsonLine(r: ExportRecord): string {
  return `${JSON.stringify({ seq: r.seq, ...r.event, prev_hash: r.prevHash, hash: r.hash })}\n`;
}
