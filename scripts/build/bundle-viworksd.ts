// viworksd is a long-running daemon, so what its module graph costs is memory, not start-up: built
// by tsc it loads ~900 modules (typebox alone ~680) whose source text V8 keeps on the heap (this
// code base is generously commented) beside their bytecode. Bundled and minified, the same code is
// one file of ~0.5 MiB: measured ~15 MiB less RSS idle (bench/daemon-memory.ts prints both).
// `npm run build` runs this after tsc: the bundle REPLACES tsc's dist/daemon/bin/viworksd.js in
// place (the systemd unit `viworks daemon install` writes names that path), with the code only a
// rare path needs (prom-client's instruments, loaded on the first metrics scrape) in chunks/ beside
// it, so lazy stays lazy.
//
// Kept external (loaded from node_modules at run time): the native addons (koffi, @napi-rs/keyring:
// their binaries are found relative to their packages) and the CommonJS servers fastify and
// prom-client (bundling them measured no gain, and fastify reads files of its own package).
//
//   node --import tsx scripts/build/bundle-viworksd.ts     # after tsc -p tsconfig.build.json
import { rmSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../../core/package-root.js';

export const VIWORKSD_EXTERNAL: readonly string[] = ['koffi', '@napi-rs/keyring', 'fastify', 'prom-client'];

/**
 * Bundles `entry` (TypeScript or tsc's JavaScript) into `outFile`, chunks of lazy imports in
 * `chunks/` beside it. Returns the size of the entry file and how many modules went in.
 */
export async function bundleViworksd(
  entry: string,
  outFile: string,
): Promise<{ bytes: number; inputs: number }> {
  const outdir = dirname(outFile);
  const name = basename(outFile, extname(outFile));
  const result = await build({
    entryPoints: { [name]: entry },
    outdir,
    bundle: true,
    // Dynamic imports become chunks loaded on first use (without splitting, esbuild would inline
    // them and hoist their external imports to the top: prom-client would load at start again).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: [...VIWORKSD_EXTERNAL],
    // Source text is what V8 keeps of every module: minified, it is less than half. Names are kept
    // (error classes and functions say what they are); the daemon logs codes, never stacks.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    // Node's ESM has no `require`: the few CommonJS dependencies bundled in (tweetnacl) need one.
    banner: {
      js: "import { createRequire as __viwCreateRequire } from 'node:module';\nconst require = __viwCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const out = Object.entries(result.metafile.outputs).find(([path]) => resolve(path) === resolve(outFile));
  return { bytes: out?.[1].bytes ?? 0, inputs: Object.keys(result.metafile.inputs).length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = packageRoot();
  const out = resolve(process.argv[2] ?? join(root, 'dist/daemon/bin/viworksd.js'));
  // Chunks of an earlier bundle would pile up (their names carry a hash).
  rmSync(join(dirname(out), 'chunks'), { recursive: true, force: true });
  const b = await bundleViworksd(resolve(root, 'daemon/bin/viworksd.ts'), out);
  console.log(`viworksd → ${out} (${b.inputs} modules in one file, ${(b.bytes / 1024).toFixed(0)} KiB)`);
}
