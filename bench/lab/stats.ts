// Figures for the lab bench: nearest-rank percentiles (every figure printed is one that was observed)
// over millisecond samples, and aligned table rows. Missing samples (a timing the daemon did not
// report) are dropped and show as a smaller n.

export interface Spread {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function spread(samples: readonly (number | null | undefined)[]): Spread {
  const sorted = samples
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0)
    return { n: 0, min: Number.NaN, p50: Number.NaN, p95: Number.NaN, max: Number.NaN };
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { n: sorted.length, min: sorted[0]!, p50: rank(50), p95: rank(95), max: sorted.at(-1)! };
}

const cell = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-').padStart(8);

export const LABEL_WIDTH = 46;

export function spreadHeader(unit = 'ms'): string {
  const cols = ['p50', 'p95', 'min', 'max'].map((c) => `${c} ${unit}`.padStart(8));
  return `  ${''.padEnd(LABEL_WIDTH)} ${cols.join(' ')} ${'n'.padStart(4)}`;
}

export function spreadRow(label: string, s: Spread, digits = 0): string {
  const cols = [s.p50, s.p95, s.min, s.max].map((v) => cell(v, digits));
  return `  ${label.padEnd(LABEL_WIDTH)} ${cols.join(' ')} ${String(s.n).padStart(4)}`;
}

/** Sum of the parts, or null when any part is missing (so a partial sum never looks like a figure). */
export function sumOrNull(...parts: readonly (number | null | undefined)[]): number | null {
  let total = 0;
  for (const p of parts) {
    if (typeof p !== 'number' || !Number.isFinite(p)) return null;
    total += p;
  }
  return total;
}
