// Shared timing for bench/*.bench.ts: warm up, then run an operation back to back for a fixed
// wall-clock budget and report throughput. Figures are printed, never asserted: they depend on
// the machine, and a benchmark that fails on a slow CI runner teaches people to ignore it.

export interface Measurement {
  readonly label: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
}

export interface MeasureOptions {
  /** Untimed runs first, so JIT compilation and lazy setup do not count. */
  readonly warmupMs?: number;
  readonly durationMs?: number;
}

export async function measure(
  label: string,
  op: () => unknown,
  { warmupMs = 300, durationMs = 2000 }: MeasureOptions = {},
): Promise<Measurement> {
  await runFor(op, warmupMs);
  const { ops, ns } = await runFor(op, durationMs);
  const seconds = Number(ns) / 1e9;
  return { label, ops, seconds, opsPerSec: ops / seconds };
}

async function runFor(op: () => unknown, ms: number): Promise<{ ops: number; ns: bigint }> {
  const budget = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    await op();
    ops++;
    elapsed = process.hrtime.bigint() - start;
  }
  return { ops, ns: elapsed };
}

/** One aligned line: label, ops/s and mean time per operation. */
export function formatMeasurement(m: Measurement, labelWidth = 36): string {
  const perSec = Math.round(m.opsPerSec).toLocaleString('en-US').padStart(10);
  const perOp = ((m.seconds / m.ops) * 1e6).toFixed(1).padStart(9);
  return `  ${m.label.padEnd(labelWidth)} ${perSec} ops/s  ${perOp} µs/op  (${m.ops} ops in ${m.seconds.toFixed(2)} s)`;
}
