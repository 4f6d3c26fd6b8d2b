#!/usr/bin/env node
// `viworks`. The commands are one file each under `commands/` (the path is the command id). Once
// built, this runs the esbuild bundle of the CLI (dist/cli-bundle: one module per command plus
// shared chunks, an oclif manifest, oclif and typebox from a V8 code cache) when it is at least as
// new as this file, else the compiled commands in dist/cli (with their manifest if fresh): a command
// imports only its own module graph, `--help` none (cli/lib/cli-root.ts). Exit codes come from
// cli/lib/exit-codes.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE_DIR, cliLoadOptions, manifestIsFresh } from '../lib/cli-root.js';

const bin = fileURLToPath(import.meta.url);
const compiled = dirname(dirname(bin));
const bundled = join(dirname(compiled), BUNDLE_DIR);

if (manifestIsFresh(bundled, bin)) {
  const main = pathToFileURL(join(bundled, 'lib/main.js')).href;
  const { runCli } = (await import(main)) as typeof import('../lib/main.js');
  await runCli(cliLoadOptions(bundled), true);
} else {
  const { runCli } = await import('../lib/main.js');
  await runCli(cliLoadOptions(compiled), manifestIsFresh(compiled, bin));
}
