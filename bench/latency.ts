// Latency figures for bench/*.bench.ts that drive a server: nearest-rank percentiles over samples in
// milliseconds, and one aligned table row per step. Figures are printed, never asserted.

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

/** Nearest-rank percentiles (no interpolation: every figure is a latency that was observed). */
export function summarize(ms: readonly number[]): Summary {
  if (ms.length === 0) return { n: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, max: Number.NaN };
  const sorted = [...ms].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { n: sorted.length, p50: rank(50), p99: rank(99), mean: sum / sorted.length, max: sorted.at(-1)! };
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-').padStart(9);

export function tableHeader(labelWidth: number): string {
  return `  ${'step'.padEnd(labelWidth)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'mean ms'.padStart(9)} ${'max ms'.padStart(9)} ${'n'.padStart(6)}`;
}

export function tableRow(label: string, s: Summary, labelWidth: number): string {
  return `  ${label.padEnd(labelWidth)} ${ms(s.p50)} ${ms(s.p99)} ${ms(s.mean)} ${ms(s.max)} ${String(s.n).padStart(6)}`;
}
