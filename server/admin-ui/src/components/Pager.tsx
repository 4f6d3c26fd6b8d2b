// Previous / next page of a cursor-paged list.
import type { PagedList } from '../hooks/usePagedList.js';

export function Pager({ list, label }: { readonly list: PagedList<unknown>; readonly label: string }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={!list.hasPrevious || list.loading} onClick={list.previous}>
        Previous
      </button>
      <span>Page {list.page}</span>
      <button
        type="button"
        disabled={!list.hasNext || list.loading}
        onClick={list.next}
        data-testid="next-page"
      >
        Next
      </button>
    </nav>
  );
}
