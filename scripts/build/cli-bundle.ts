// Bundles the compiled CLI (dist/cli, after tsc) into dist/cli-bundle with esbuild, then writes the
// oclif manifests of both (scripts/build/oclif-manifest.ts). Why: `viworks status` spent most of
// its start resolving and loading ~1,000 small modules (typebox alone is ~680 ESM files, @oclif/core
// and its dependencies ~160 CommonJS ones); one module per command plus shared chunks load in a
// fraction of that.
//
// Layout: dist/cli-bundle/lib/main.js and dist/cli-bundle/commands/<id>.js (one ES module per
// command, so oclif still imports only the command that runs), our code shared between them in
// dist/cli-bundle/chunks/. @oclif/core and typebox (the largest pieces, wanted by every command) are
// bundled apart as CommonJS, dist/cli-bundle/{oclif,typebox}.cjs, each with a V8 code cache beside
// it (cli/lib/code-cache.ts): Node 20 caches no compiled modules, and their parse and compile was
// most of what remained. Every other package stays an import from node_modules, loaded only by
// the commands that use it (native addons, Ink, fastify: nothing to gain, file layouts intact).
// dist/cli/bin/viworks.js runs the bundle when its manifest is at least as new as that bin.
//
//   node --import tsx scripts/build/cli-bundle.ts      # after tsc -p tsconfig.build.json
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { BUNDLE_DIR } from '../../cli/lib/cli-root.js';
import {
  CACHED_PACKAGES,
  CODE_CACHE_SUFFIX,
  compileCommonJs,
  IMPORT_PARAM,
  runCommonJs,
} from '../../cli/lib/code-cache.js';
import { writeManifest } from './oclif-manifest.js';

/** Imported by @oclif/core only to read a tsconfig in development (never for a compiled root). */
const NEVER_BUNDLED = ['typescript'];

/** What our modules import from the code-cached packages: the module standing in for each. */
const STAND_INS: Record<string, string> = {
  '@oclif/core': 'lib/oclif-code-cache.js',
  typebox: 'lib/typebox-code-cache.js',
  'typebox/compile': 'lib/typebox-code-cache.js',
};

/**
 * In the ES module bundle: the code-cached packages resolve to their stand-ins (under `compiled`,
 * dist/cli), any other part of them fails the build (it would be a second copy), and every other
 * package stays external.
 */
function packagesOfTheBundle(compiled: string): Plugin {
  return {
    name: 'viworks-bundle-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:')) return { external: true };
        const standIn = STAND_INS[args.path];
        if (standIn) return { path: join(compiled, standIn) };
        const cached = Object.keys(CACHED_PACKAGES).find((p) => args.path.startsWith(`${p}/`));
        if (cached)
          return { errors: [{ text: `${args.path}: add it to STAND_INS and its stand-in module` }] };
        return { external: true };
      });
    },
  };
}

// Two rewrites of @oclif/core's own files, each required to match exactly as often as expected,
// so that an upgrade of @oclif/core fails the build and brings them back for review:
//  - it sorts the command list with String#localeCompare on every start: the first call builds an
//    ICU collator, 6–20 ms of a ~150 ms budget. Command ids are lower-case ASCII, where a code-unit
//    comparison gives the same order, and help sorts again by code unit (util.sortBy) anyway;
//  - it import()s command modules, which code compiled through node:vm cannot do in Node 20: those
//    calls go to the loader's import function (IMPORT_PARAM, cli/lib/code-cache.ts).
const OCLIF_REWRITES: Record<string, { from: string; to: string; times: number }[]> = {
  'config/plugin.js': [
    {
      from: '.sort((a, b) => a.id.localeCompare(b.id));',
      to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
      times: 1,
    },
  ],
  'module-loader.js': [{ from: 'await import(', to: `await ${IMPORT_PARAM}(`, times: 3 }],
  'config/ts-path.js': [{ from: 'await import(', to: `await ${IMPORT_PARAM}(`, times: 1 }],
};

const oclifRewrites: Plugin = {
  name: 'viworks-oclif-rewrites',
  setup(b) {
    b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/ }, (args) => {
      const name = Object.keys(OCLIF_REWRITES).find((f) => args.path.endsWith(`/@oclif/core/lib/${f}`));
      if (!name) return undefined;
      let contents = readFileSync(args.path, 'utf8');
      for (const r of OCLIF_REWRITES[name] ?? []) {
        const found = contents.split(r.from).length - 1;
        if (found !== r.times)
          throw new Error(`${args.path}: expected ${r.from} ${r.times}×, found ${found}`);
        contents = contents.replaceAll(r.from, r.to);
      }
      return { contents, loader: 'js' };
    });
  },
};

function commandEntries(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return commandEntries(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

/** Bundles `<dist>/cli` into `<dist>/cli-bundle`; returns the output directory. */
export async function bundleCli(dist: string): Promise<string> {
  const compiled = join(dist, 'cli');
  const out = join(dist, BUNDLE_DIR);
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: [join(compiled, 'lib/main.js'), ...commandEntries(join(compiled, 'commands'))],
    outbase: compiled,
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [packagesOfTheBundle(compiled)],
    ...COMMON,
  });
  const require = createRequire(import.meta.url);
  await bundleCached(join(out, CACHED_PACKAGES['@oclif/core']), {
    entryPoints: [require.resolve('@oclif/core')],
    plugins: [oclifRewrites],
  });
  // The names the stand-in (cli/lib/typebox-code-cache.ts) re-exports.
  await bundleCached(join(out, CACHED_PACKAGES.typebox), {
    stdin: {
      contents: "export { Type } from 'typebox'; export { Compile } from 'typebox/compile';",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
    },
  });
  return out;
}

const COMMON = {
  // Parsing is most of what is left of a start: minified code parses in about half the time.
  // Stack traces map back through the .map files with `node --enable-source-maps`.
  minify: true,
  // Class and function names stay: errors are told apart by them (cli/lib/output.ts reads
  // oclif's UnexpectedArgsError by constructor name) and they show in stack traces.
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
} as const;

/** One package as one CommonJS file, and the V8 code cache of it once its module code has run. */
async function bundleCached(file: string, input: BuildOptions): Promise<void> {
  await build({
    ...input,
    outfile: file,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: NEVER_BUNDLED,
    ...COMMON,
  });
  const script = compileCommonJs(file);
  runCommonJs(script, file);
  writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, script.createCachedData());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dist = resolve(process.argv[2] ?? 'dist');
  const out = await bundleCli(dist);
  // The bundle's manifest is written last: the bin trusts the bundle only when it is newer than
  // the compiled bin (cli/lib/cli-root.ts).
  for (const root of [join(dist, 'cli'), out]) {
    const { path, commands } = await writeManifest(root);
    console.log(`oclif manifest: ${commands} commands → ${path}`);
  }
}
