// Entry point for `npm run bench`: runs every bench/*.bench.ts that exports `run(): Promise<void>`,
// in file-name order, one header per bench. `npm run bench -- hpke` runs only names containing "hpke".
// A bench that throws or lacks `run` is reported and makes the exit code non-zero; the others still run.
// `--json` (anywhere in the arguments): the report goes to stderr, and stdout gets one JSON object per
// headline figure (bench/figures.ts: {name, value, unit, baseline, ratio, target, met, …}).

import { readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordedFigures } from './figures.js';

const SUFFIX = '.bench.ts';
const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const filter = args.find((a) => !a.startsWith('--'));
const unknown = args.filter((a) => a.startsWith('--') && a !== '--json');
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(', ')} (usage: npm run bench -- [name] [--json])`);
  process.exit(2);
}
// The figures are the only thing on stdout in JSON mode: everything the benches print goes to stderr.
const writeOut = console.log.bind(console);
if (json) console.log = console.error.bind(console);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(SUFFIX) && (!filter || f.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`no bench/*${SUFFIX} files${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}

console.log(
  `node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? 'unknown'})`,
);
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file.slice(0, -SUFFIX.length)} ==`);
  const started = process.hrtime.bigint();
  try {
    const mod: { run?: unknown } = await import(pathToFileURL(join(dir, file)).href);
    if (typeof mod.run !== 'function') throw new Error(`${file} does not export run(): Promise<void>`);
    await mod.run();
  } catch (err) {
    failed++;
    console.error(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`  (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
}
if (json) for (const f of recordedFigures()) writeOut(JSON.stringify(f));
process.exitCode = failed > 0 ? 1 : 0;
