// Cursor pagination shared by the admin lists: newest first by id (UUIDv7, time-ordered); the
// cursor is the last id of the previous page and the next page holds the ids below it, so rows
// created or deleted meanwhile never shift a page.
import { DEFAULT_PAGE } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export function pageSize(limit: string | undefined): number {
  return limit === undefined ? DEFAULT_PAGE : Number(limit);
}

/** Prisma arguments for one page: fetch one extra row to learn whether another page follows. */
export function pageArgs(q: { cursor?: string | undefined; limit?: string | undefined }) {
  return {
    idBelow: q.cursor === undefined ? {} : { id: { lt: q.cursor } },
    orderBy: { id: 'desc' as const },
    take: pageSize(q.limit) + 1,
  };
}

export function pageOf<T extends { id: string }>(
  rows: readonly T[],
  limit: string | undefined,
): { items: T[]; next_cursor: string | null } {
  const size = pageSize(limit);
  const items = rows.slice(0, size);
  return { items, next_cursor: rows.length > size ? items[items.length - 1]!.id : null };
}

export function iso(d: Date): string;
export function iso(d: Date | null): string | null;
export function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2002';
}

/** A time filter of a list query (`from`, `since`, …), or VIW_E_VALIDATION naming it. */
export function queryTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new ViworksError('VIW_E_VALIDATION', { details: [`querystring/${name}: not a time`] });
  return d;
}
