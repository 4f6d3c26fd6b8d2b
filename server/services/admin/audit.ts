// Admin API: reading the audit log. Events are stored as canonical JSON text (sorted keys, no
// spaces), so an exact field match is a fixed substring: the database narrows with it (indexed seq
// and time range first), then every candidate is parsed and checked exactly, because LIKE patterns
// on SQLite ignore case and treat `_` as a wildcard. Pages follow seq; a page stops after a bounded
// scan, so a rare filter can return fewer events than asked with a cursor to continue from. The
// export (audit-export.ts) reads with the same filters.
import type { AuditQueryT, AuditRecordViewT } from '../../../core/api/admin.js';
import { type AuditEvent, parseAuditEvent } from '../../../core/audit/event.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Prisma } from '../../data/client.js';
import type { AdminDeps } from './credentials.js';
import { pageSize, queryTime } from './paging.js';

const MAX_BATCHES = 10;

/** What narrows an audit read: the filters of GET /admin/audit (also of the export). */
export type AuditFilters = Omit<AuditQueryT, 'cursor' | 'limit' | 'order'>;

export interface AuditFilter {
  /** The database's pre-filter (time range and substrings); candidates still need `matches`. */
  readonly where: Prisma.AuditEventWhereInput;
  readonly matches: (event: AuditEvent) => boolean;
}

export function auditCursor(value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,17}$/.test(value))
    throw new ViworksError('VIW_E_VALIDATION', { details: ['querystring/cursor: not an audit cursor'] });
  return BigInt(value);
}

/** The filters as a database pre-filter and an exact check; VIW_E_VALIDATION on a bad time. */
export function auditFilter(q: AuditFilters): AuditFilter {
  const from = queryTime(q.from, 'from');
  const to = queryTime(q.to, 'to');
  const fields: Record<string, string> = {};
  if (q.result) fields.result = q.result;
  if (q.user_id) fields.user_id = q.user_id;
  if (q.actor) fields.cmd = q.actor;
  if (q.session_id) fields.session_id = q.session_id;
  if (q.device_id) fields.device_id = q.device_id;
  const contains = Object.entries(fields).map(([k, v]) => ({
    event: { contains: `"${k}":${JSON.stringify(v)}` },
  }));
  if (q.action_prefix) contains.push({ event: { contains: `"action":"${q.action_prefix}` } });
  return {
    where: {
      ...(from || to ? { at: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}),
      AND: contains,
    },
    matches: (event) =>
      Object.entries(fields).every(([k, v]) => (event as Record<string, unknown>)[k] === v) &&
      (!q.action_prefix || event.action.startsWith(q.action_prefix)),
  };
}

export async function queryAudit(
  deps: Pick<AdminDeps, 'db'>,
  q: AuditQueryT,
): Promise<{ events: AuditRecordViewT[]; next_cursor: string | null }> {
  const size = pageSize(q.limit);
  const order = q.order ?? 'desc';
  const filter = auditFilter(q);
  const matches: AuditRecordViewT[] = [];
  let cursor = auditCursor(q.cursor);
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const where: Prisma.AuditEventWhereInput = {
      ...filter.where,
      ...(cursor !== undefined ? { seq: order === 'desc' ? { lt: cursor } : { gt: cursor } } : {}),
    };
    const rows = await deps.db.auditEvent.findMany({ where, orderBy: { seq: order }, take: size + 1 });
    for (const row of rows) {
      const event = parseAuditEvent(JSON.parse(row.event));
      if (filter.matches(event)) matches.push({ seq: Number(row.seq), hash: row.hash, event });
      if (matches.length > size)
        return { events: matches.slice(0, size), next_cursor: String(matches[size - 1]!.seq) };
    }
    if (rows.length <= size) return { events: matches, next_cursor: null };
    cursor = rows[rows.length - 1]!.seq;
  }
  // Scan budget spent: hand back what matched and where the scan stopped.
  return { events: matches, next_cursor: String(cursor) };
}
