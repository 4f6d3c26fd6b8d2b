// Label values from audit events are bounded before they reach a metric: each label keeps at most
// `max` distinct values and folds the rest into `other`, so a flood of odd actions, rule names or
// gateway names (events ingested from nodes, reports from devices) cannot grow the exposition
// without limit. Values are also cut to printable ASCII of a fixed length.

export const OTHER = 'other';
const MAX_VALUE_CHARS = 64;

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  of(value: string | null | undefined, fallback = 'unknown'): string {
    const v = value ? value.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_VALUE_CHARS) : fallback;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(v);
    return v;
  }
}

/** The most recent ids, at most `max`: the oldest leaves first (a Map keeps insertion order). */
export class RecentIds<V = true> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(id: string): V | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  set(id: string, value: V): void {
    this.map.delete(id);
    this.map.set(id, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  delete(id: string): void {
    this.map.delete(id);
  }
}
