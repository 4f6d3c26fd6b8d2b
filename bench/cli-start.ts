// `viworks` start-up as a user feels it: the WALL time of whole processes (spawn → exit) of
// `viworks status --json` (one local API call) and `viworks --help`, beside the floor of a bare
// `node -e 0` measured in the same run, interleaved so that noise from a shared machine falls on
// all three alike. Measures the built CLI (node dist/cli/bin/viworks.js: the esbuild bundle when
// fresh, else the compiled commands) when dist/ has it, else the development entry through tsx.
// Figures are printed and returned (for `npm run bench -- --json`), never asserted.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR, manifestIsFresh } from '../cli/lib/cli-root.js';
import { type Figure, figure } from './figures.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUILT_BIN = join(ROOT, 'dist/cli/bin/viworks.js');

export interface CliStartOptions {
  /** The socket of a running viworksd. */
  readonly socketPath: string;
  readonly runs?: number;
}

/** Which `viworks` the bench starts, and how it says so. */
export function cliUnderTest(): { argv: string[]; label: string } {
  if (!existsSync(BUILT_BIN))
    return { argv: ['--import', 'tsx', 'cli/bin/dev.ts'], label: 'tsx, cli/bin/dev.ts (no dist/ build)' };
  const bundled = join(dirname(dirname(dirname(BUILT_BIN))), BUNDLE_DIR);
  const compiled = dirname(dirname(BUILT_BIN));
  const label = manifestIsFresh(bundled, BUILT_BIN)
    ? 'dist, esbuild bundle + oclif manifest + V8 code cache'
    : manifestIsFresh(compiled, BUILT_BIN)
      ? 'dist, compiled commands + oclif manifest (bundle missing or stale)'
      : 'dist, compiled commands, no fresh manifest';
  return { argv: [BUILT_BIN], label };
}

/** Measures and prints; returns the figures (p50 of `runs` interleaved runs each). */
export async function measureCliStart(o: CliStartOptions): Promise<Figure[]> {
  const runs = o.runs ?? 10;
  const cli = cliUnderTest();
  const env = { ...process.env, VIWORKSD_SOCKET: o.socketPath };
  const floorArgs = ['-e', '0'];
  const statusArgs = [...cli.argv, 'status', '--json'];
  const helpArgs = [...cli.argv, '--help'];
  // One untimed round warms the page cache (and tsx's cache for the dev entry).
  await wall(floorArgs, env);
  await wall(statusArgs, env, checkStatusJson);
  await wall(helpArgs, env);
  const floor: number[] = [];
  const status: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(await wall(floorArgs, env));
    status.push(await wall(statusArgs, env, checkStatusJson));
    help.push(await wall(helpArgs, env));
  }
  const f = stats(floor);
  const s = stats(status);
  const h = stats(help);
  console.log(`  viworks under test: ${cli.label}`);
  console.log(`  ${runs} interleaved runs each, wall time of the whole process (spawn → exit)`);
  console.log(
    `  ${'process'.padEnd(32)} ${'p50 ms'.padStart(8)} ${'min ms'.padStart(8)} ${'max ms'.padStart(8)}  ratio`,
  );
  console.log(row('node -e 0 (floor)', f, f));
  console.log(row('viworks status --json', s, f));
  console.log(row('viworks --help', h, f));
  const floorFigure = { name: 'node -e 0 p50', value: f.p50 };
  return [
    figure({
      name: 'viworks status --json wall p50',
      value: s.p50,
      unit: 'ms',
      baseline: floorFigure,
      target: { on: 'value', op: '<=', limit: 150 },
      digits: 1,
    }),
    figure({
      name: 'viworks status --json wall p50 (vs node -e 0)',
      value: s.p50,
      unit: 'ms',
      baseline: floorFigure,
      target: { on: 'ratio', op: '<=', limit: 2.5 },
      digits: 1,
    }),
    figure({
      name: 'viworks --help wall p50 (vs node -e 0)',
      value: h.p50,
      unit: 'ms',
      baseline: floorFigure,
      target: { on: 'ratio', op: '<=', limit: 2.5 },
      digits: 1,
    }),
  ];
}

function checkStatusJson(out: string): void {
  const state = (JSON.parse(out) as { state?: unknown }).state;
  if (typeof state !== 'string') throw new Error(`status --json: no state in ${out}`);
}

/** Wall time of one `node <args>` process from spawn to exit, in ms; a non-zero exit is an error. */
function wall(args: string[], env: NodeJS.ProcessEnv, check?: (stdout: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${args.join(' ')}: exit ${code}: ${out}${err}`));
      try {
        check?.(out);
      } catch (e) {
        return reject(e);
      }
      resolve(ms);
    });
  });
}

interface Stats {
  readonly p50: number;
  readonly min: number;
  readonly max: number;
}

function stats(ms: number[]): Stats {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

function row(label: string, x: Stats, floor: Stats): string {
  const cells = [x.p50, x.min, x.max].map((v) => v.toFixed(1).padStart(8)).join(' ');
  return `  ${label.padEnd(32)} ${cells}  ${(x.p50 / floor.p50).toFixed(2)}x`;
}
