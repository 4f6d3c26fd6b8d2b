// CommonJS files compiled through node:vm with a V8 code cache: Node 20 keeps no compile cache for
// modules, so the bundle's two largest pieces (@oclif/core and typebox, dist/cli-bundle/*.cjs) are
// compiled from caches the build wrote beside them (scripts/build/cli-bundle.ts; the modules that
// stand in for the packages: cli/lib/oclif-code-cache.ts, cli/lib/typebox-code-cache.ts). V8
// checks a cache against the source and its own version and flags: one it rejects (another Node)
// only means a normal compile. No side effects here: the build imports it too.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The packages bundled as CommonJS with a code cache: file name in dist/cli-bundle. */
export const CACHED_PACKAGES = { '@oclif/core': 'oclif.cjs', typebox: 'typebox.cjs' } as const;
export const CODE_CACHE_SUFFIX = '.v8-cache';

/**
 * Node 20 cannot import() from code compiled through node:vm without --experimental-vm-modules:
 * the bundled oclif calls this parameter instead (scripts/build/cli-bundle.ts rewrites its
 * `import(`), and it imports from this ES module.
 */
export const IMPORT_PARAM = '__viworksImport';
const importFromHere = (url: string): Promise<unknown> => import(url);

type CommonJsBody = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
  dynamicImport: typeof importFromHere,
) => void;

/** Compiles a CommonJS file with Node's module wrapper (plus IMPORT_PARAM), from `cachedData` when given. */
export function compileCommonJs(file: string, cachedData?: Buffer): Script {
  const source = readFileSync(file, 'utf8');
  const params = `exports, require, module, __filename, __dirname, ${IMPORT_PARAM}`;
  return new Script(`(function (${params}) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
}

/** Runs a compiled CommonJS file once; returns its exports. */
export function runCommonJs(script: Script, file: string): unknown {
  const module = { exports: {} as unknown };
  const body = script.runInThisContext() as CommonJsBody;
  body.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), importFromHere);
  return module.exports;
}

/**
 * The exports of dist/cli-bundle/`name`, compiled from its code cache when there is one. `from` is
 * the import.meta.url of the caller, which lands in dist/cli-bundle/chunks/ or beside an entry.
 */
export function loadCachedCommonJs(name: string, from: string): unknown {
  const here = dirname(fileURLToPath(from));
  const file = [join(dirname(here), name), join(here, name)].find((f) => existsSync(f));
  if (!file) throw new Error(`${name} not found near ${here}: rebuild the CLI bundle`);
  const cache = `${file}${CODE_CACHE_SUFFIX}`;
  return runCommonJs(compileCommonJs(file, existsSync(cache) ? readFileSync(cache) : undefined), file);
}
