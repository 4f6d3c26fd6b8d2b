// Entry point for `npm run bench`: runs every bench/*.bench.ts that exports `run(): Promise<void>`,
// in file-name order, one header per bench. `npm run bench -- hpke` runs only names containing "hpke".
// A bench that throws or lacks `run` is reported and makes the exit code non-zero; the others still run.

import { readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SUFFIX = '.bench.ts';
const dir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
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
process.exitCode = failed > 0 ? 1 : 0;
