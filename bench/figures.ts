// The bench's headline figures, one object per figure (issue #19): what was measured, its unit, the
// baseline measured in the same run (so a slow or busy machine moves both), their ratio, and the
// target with whether it was met. Benches call `figure()`; `npm run bench -- --json` prints every
// recorded figure as one JSON line on stdout (the human-readable report goes to stderr then).
// Targets are reported, never asserted: a bench is not a test.

export interface Target {
  /** Which number the target is on: the figure itself, or its ratio to the baseline. */
  readonly on: 'value' | 'ratio';
  readonly op: '<=' | '>=';
  readonly limit: number;
}

export interface Figure {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  readonly baseline: number | null;
  /** What the baseline is (measured in the same run). */
  readonly baseline_name: string | null;
  /** value / baseline; null without a baseline. */
  readonly ratio: number | null;
  /** e.g. "<= 300 ms", "ratio <= 1.3"; null: reported without a target. */
  readonly target: string | null;
  /** Whether the target was met; null without a target or a value. */
  readonly met: boolean | null;
}

const recorded: Figure[] = [];

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function figure(f: {
  name: string;
  value: number | null;
  unit: string;
  baseline?: { name: string; value: number | null } | null;
  target?: Target | null;
  digits?: number;
}): Figure {
  const digits = f.digits ?? 2;
  const value = f.value === null || !Number.isFinite(f.value) ? null : round(f.value, digits);
  const base = f.baseline?.value ?? null;
  const baseline = base === null || !Number.isFinite(base) ? null : round(base, digits);
  const ratio = value !== null && baseline !== null && baseline !== 0 ? round(value / baseline, 3) : null;
  const t = f.target ?? null;
  const subject = t?.on === 'ratio' ? ratio : value;
  const met = t && subject !== null ? (t.op === '<=' ? subject <= t.limit : subject >= t.limit) : null;
  const out: Figure = {
    name: f.name,
    value,
    unit: f.unit,
    baseline,
    baseline_name: f.baseline?.name ?? null,
    ratio,
    target: t
      ? `${t.on === 'ratio' ? 'ratio ' : ''}${t.op} ${t.limit}${t.on === 'value' ? ` ${f.unit}` : ''}`
      : null,
    met,
  };
  recorded.push(out);
  console.log(`  ► ${describeFigure(out)}`);
  return out;
}

export function describeFigure(f: Figure): string {
  const v = f.value === null ? '-' : `${f.value} ${f.unit}`;
  const b =
    f.baseline === null ? '' : `  (baseline ${f.baseline_name}: ${f.baseline} ${f.unit}, ratio ${f.ratio})`;
  const t =
    f.target === null ? '' : `  target ${f.target}: ${f.met === null ? 'n/a' : f.met ? 'met' : 'MISSED'}`;
  return `${f.name}: ${v}${b}${t}`;
}

export function recordedFigures(): readonly Figure[] {
  return recorded;
}
