// Builds the GUI's page (gui/web) into the folder `viworks gui` serves: one script bundled by
// esbuild, the page and its style copied. Run by `npm run build` (into dist/gui-web) and by tests.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../core/package-root.js';

export async function buildGui(outDir: string): Promise<{ outDir: string; scriptBytes: number }> {
  // The sources, also when this runs compiled from dist/.
  const source = join(packageRoot(), 'gui');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(source, 'web/src/main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox128', 'safari17'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const f of readdirSync(join(source, 'web/static')))
    writeFileSync(join(outDir, f), readFileSync(join(source, 'web/static', f)));
  return { outDir, scriptBytes: readFileSync(join(outDir, 'app.js')).length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/gui-web');
  const b = await buildGui(out);
  console.log(`GUI → ${out} (script ${(b.scriptBytes / 1024).toFixed(1)} KiB)`);
}
