// The table of a paged list: its failure, the header row, one row per item (the page draws it),
// what an empty page says, and the pager. `aria-busy` while a page loads.
import type { ReactNode } from 'react';
import type { PagedList } from '../hooks/usePagedList.js';
import { Pager } from './Pager.js';
import { ProblemBox } from './ProblemBox.js';

export function ListTable<T>({
  list,
  label,
  columns,
  testId,
  empty,
  items = list.items,
  row,
}: {
  readonly list: PagedList<T>;
  /** What the list is, for the pager's name ("Devices pages"). */
  readonly label: string;
  readonly columns: readonly string[];
  readonly testId: string;
  /** Shown under an empty page once loaded; nothing when absent. */
  readonly empty?: string;
  /** The rows to draw, when the page shows more than the list read (live rows). */
  readonly items?: readonly T[];
  readonly row: (item: T) => ReactNode;
}) {
  return (
    <>
      <ProblemBox problem={list.problem} />
      <div className="table-scroll">
        <table aria-busy={list.loading} data-testid={testId}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{items.map(row)}</tbody>
        </table>
      </div>
      {empty && !list.loading && items.length === 0 && <p className="muted">{empty}</p>}
      <Pager list={list as PagedList<unknown>} label={label} />
    </>
  );
}
