// Test helpers for the Prometheus exposition (backend /metrics, daemon /v1/metrics): the REAL
// parser is Prometheus's own `promtool check metrics` (Debian package `prometheus`), which fails on
// malformed text and lints names; values are then read with the small sample reader below. Without
// promtool the tests skip with the reason — except in CI (CI=true), where that is a failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export interface PromtoolResult {
  /** 0: valid and lint-clean; 3: valid with lint problems; 1: not parseable. */
  readonly status: number;
  /** Each lint problem as promtool prints it: `<metric name> <problem>`. */
  readonly problems: readonly string[];
  readonly output: string;
}

export function promtoolAvailable(): boolean {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Skips the test without promtool; fails it in CI. Returns whether the test may go on. */
export function requirePromtool(t: TestContext): boolean {
  if (promtoolAvailable()) return true;
  const why = 'promtool not found: apt-get install -y prometheus (it ships promtool)';
  if (process.env.CI === 'true') assert.fail(`${why} — required in CI`);
  t.skip(why);
  return false;
}

export function promtoolCheck(text: string): PromtoolResult {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const problems = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]* /.test(l) && !l.startsWith('error'));
  return { status: r.status ?? -1, problems, output };
}

/**
 * Asserts promtool parses `text`, and that any lint problem concerns only the metrics named in
 * `tolerated` (prom-client's own default gauges whose names end in _total).
 */
export function assertValidExposition(text: string, tolerated: readonly string[] = []): void {
  const r = promtoolCheck(text);
  assert.notEqual(r.status, 1, `promtool could not parse the exposition:\n${r.output}`);
  const foreign = r.problems.filter((p) => !tolerated.includes(p.split(' ', 1)[0]!));
  assert.deepEqual(foreign, [], `promtool lint problems:\n${r.output}`);
  assert.ok(
    r.status === 0 || (r.status === 3 && r.problems.length > 0),
    `promtool exit ${r.status}:\n${r.output}`,
  );
}

/** prom-client's own default gauges that promtool's linter dislikes (named *_total, not counters). */
export const DEFAULT_METRIC_LINT = [
  'viworks_backend_nodejs_active_handles_total',
  'viworks_backend_nodejs_active_requests_total',
  'viworks_backend_nodejs_active_resources_total',
];

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a text exposition (comments skipped); run promtoolCheck first for validity. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    const raw = m[3]!;
    out.push({
      name: m[1]!,
      labels,
      value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw),
    });
  }
  return out;
}

/** The one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}) {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(hits.length <= 1, `${name} ${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}
