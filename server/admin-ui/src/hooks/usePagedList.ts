// One paginated, filtered list of the admin API (cursor paging: `next_cursor`). Previous pages are
// the cursors already followed; a new filter starts again from the first page.
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Problem, problemOf } from '../api.js';

export const PAGE_SIZE = '20';

export interface Paged<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export interface PagedList<T> {
  readonly items: readonly T[];
  readonly loading: boolean;
  readonly problem: Problem | null;
  readonly page: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
  previous(): void;
  next(): void;
  reload(): void;
}

export function usePagedList<T, F>(
  load: (filter: F, cursor: string | undefined) => Promise<Paged<T>>,
  filter: F,
): PagedList<T> {
  const filterKey = JSON.stringify(filter);
  // The cursors followed so far, for the filter they belong to: a new filter starts on page one.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: filterKey,
    cursors: [undefined],
  });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];
  const [result, setResult] = useState<Paged<T>>({ items: [], next: null });
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: filterKey and generation trigger reloads
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current(JSON.parse(filterKey) as F, cursor).then(
      (r) => {
        if (!live) return;
        setResult(r);
        setProblem(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setProblem(problemOf(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [filterKey, cursor, generation]);

  const next = () => {
    if (result.next) setPaging({ key: filterKey, cursors: [...cursors, result.next] });
  };
  const previous = () => {
    if (cursors.length > 1) setPaging({ key: filterKey, cursors: cursors.slice(0, -1) });
  };
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  return {
    items: result.items,
    loading,
    problem,
    page: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: result.next !== null,
    previous,
    next,
    reload,
  };
}
