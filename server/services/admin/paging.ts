// Cursor pagination shared by the admin lists: newest first by id (UUIDv7, time-ordered); the
// cursor is the last id of the previous page and the next page holds the ids below it, so rows
// created or deleted meanwhile never shift a page.
import { DEFAULT_PAGE } from '../../../core/api/admin.js';

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
