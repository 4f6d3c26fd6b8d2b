// Admin API: the audit export (GET /admin/audit/export). The events GET /admin/audit would list,
// with the same filters, oldest first from `cursor`, streamed page by page as NDJSON (the
// audit.ndjson line format: a complete export verifies with `viworks-server audit verify --ndjson`)
// or CSV (core/audit/export-format.ts). At most AUDIT_EXPORT_MAX_ROWS rows: a caller who got that
// many continues with cursor = the last seq. The filters are checked and the export is audited
// before the first byte goes out, so a refused export is an ordinary error answer.
import { Readable } from 'node:stream';
import {
  AUDIT_EXPORT_MAX_ROWS,
  type AuditExportFormat,
  type AuditExportQueryT,
} from '../../../core/api/admin-audit.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import { csvHeader, csvRow, type ExportRecord, ndjsonLine } from '../../../core/audit/export-format.js';
import { auditCursor, auditFilter } from './audit.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import type { AdminDeps } from './credentials.js';

const PAGE = 500;

export interface AuditExport {
  readonly format: AuditExportFormat;
  readonly filename: string;
  /** The file's text, page by page; it fails (and the response is cut) if the database does. */
  readonly body: Readable;
}

/** The matching records in ascending seq order after `cursor`, at most `max`. */
export async function* exportRecords(
  deps: Pick<AdminDeps, 'db'>,
  q: AuditExportQueryT,
  max = AUDIT_EXPORT_MAX_ROWS,
): AsyncGenerator<ExportRecord[]> {
  const filter = auditFilter(q);
  let after = auditCursor(q.cursor);
  let sent = 0;
  for (;;) {
    const rows = await deps.db.auditEvent.findMany({
      where: { ...filter.where, ...(after !== undefined ? { seq: { gt: after } } : {}) },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    const page: ExportRecord[] = [];
    for (const row of rows) {
      const event = parseAuditEvent(JSON.parse(row.event));
      if (!filter.matches(event)) continue;
      page.push({ seq: Number(row.seq), prevHash: row.prevHash, hash: row.hash, event });
      if (sent + page.length === max) break;
    }
    sent += page.length;
    if (page.length > 0) yield page;
    if (sent === max || rows.length < PAGE) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/** What the audit event says about an export: its format and filters (pseudonyms, never names). */
function describe(format: AuditExportFormat, q: AuditExportQueryT): string {
  const filters = Object.entries(q)
    .filter(([k, v]) => k !== 'format' && v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return [`format ${format}`, ...filters].join('; ').slice(0, 256);
}

export async function exportAudit(
  deps: Pick<AdminDeps, 'db' | 'audit' | 'now'>,
  actor: AdminActor,
  q: AuditExportQueryT,
  max = AUDIT_EXPORT_MAX_ROWS,
): Promise<AuditExport> {
  const format = q.format ?? 'ndjson';
  auditFilter(q); // a bad time or cursor is refused now, not halfway through the file
  auditCursor(q.cursor);
  await auditAdmin(deps.audit, actor, {
    action: 'admin.audit_export',
    result: 'success',
    error_msg: describe(format, q),
  });
  const stamp = deps
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  async function* text(): AsyncGenerator<string> {
    if (format === 'csv') yield csvHeader();
    for await (const page of exportRecords(deps, q, max))
      yield page.map(format === 'csv' ? csvRow : ndjsonLine).join('');
  }
  return { format, filename: `viworks-audit-${stamp}.${format}`, body: Readable.from(text()) };
}
