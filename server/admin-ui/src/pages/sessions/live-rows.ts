// How the Sessions page merges the stream into the listed page: a pushed row replaces the listed
// row of the same session (a row may come twice; the newest wins), and a session that started
// after the list was read joins the first page when it matches the filter. A session on the page
// that ends stays there, shown ended, even under the `live` filter — listed, or started while the
// page was open: the administrator who just terminated it sees the end, not a row that vanishes.
import type { SessionViewT } from '../../../../../core/api/admin.js';

export type SessionStateFilter = 'live' | 'ended' | 'all';

export interface SessionFilter {
  readonly state: SessionStateFilter;
  /** Only this user's sessions; '' for everyone's. */
  readonly userId: string;
}

/** Whether a pushed row belongs in a list read with the filter. */
export function matches(row: SessionViewT, f: SessionFilter): boolean {
  return (f.state === 'all' || row.state === f.state) && (f.userId === '' || row.user_id === f.userId);
}

/** What the stream said of one session: its newest row, and whether it was first pushed live. */
export interface Pushed {
  readonly row: SessionViewT;
  /** Its first row was live: the page saw it start (or heard from), so its end stays shown. */
  readonly seenLive: boolean;
}

/** A pushed row replaces the one held, except that an end is final. */
function newer(pushed: SessionViewT, held: SessionViewT): boolean {
  return !(held.state === 'ended' && pushed.state === 'live');
}

/** Keeps the newest pushed row of each session. */
export function remember(
  pushed: ReadonlyMap<string, Pushed>,
  row: SessionViewT,
): ReadonlyMap<string, Pushed> {
  const held = pushed.get(row.id);
  if (held && !newer(row, held.row)) return pushed;
  const next = new Map(pushed);
  next.set(row.id, { row, seenLive: held ? held.seenLive : row.state === 'live' });
  return next;
}

/** The rows to show: the listed page with the pushed rows applied; new sessions first on page one. */
export function liveRows(
  listed: readonly SessionViewT[],
  pushed: ReadonlyMap<string, Pushed>,
  f: SessionFilter,
  firstPage: boolean,
): SessionViewT[] {
  const listedIds = new Set(listed.map((s) => s.id));
  const applied = listed.map((s) => {
    const p = pushed.get(s.id)?.row;
    return p && newer(p, s) ? p : s;
  });
  if (!firstPage) return applied;
  const joins = ({ row, seenLive }: Pushed) =>
    matches(row, f) || (seenLive && matches({ ...row, state: 'live' }, f));
  const started = [...pushed.values()]
    .filter((p) => !listedIds.has(p.row.id) && joins(p))
    .map((p) => p.row)
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  return [...started, ...applied];
}
