// Where oclif finds the `viworks` commands and their manifest. The oclif root is the directory that
// holds `commands/` (cli/ from the sources, dist/cli/ once built, dist/cli-bundle/ once bundled),
// never the package root: oclif reads `<root>/oclif.manifest.json` whatever NODE_ENV says, so a
// manifest at the package root would also be read by the development entry (cli/bin/dev.ts) and by
// tests that load the TypeScript commands, and would send them to stale dist/ files. The build
// writes manifests into dist/ only (scripts/build/); cli/ never has one.
//
// A manifest older than the compiled bin (tsc rewrites every output; the manifest is written after
// tsc and after the bundle) may describe commands that changed since: it is not trusted then.
// Only node: built-ins here: this runs before every command.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const MANIFEST_FILE = 'oclif.manifest.json';

/** The esbuild output beside the compiled CLI: dist/cli → dist/cli-bundle (scripts/build/cli-bundle.ts). */
export const BUNDLE_DIR = 'cli-bundle';

/** What `execute({loadOptions})` and `new Plugin(…)` need: the commands' root and package.json. */
export interface CliLoadOptions {
  readonly root: string;
  readonly pjson: { name: string; version: string; oclif: Record<string, unknown> } & Record<string, unknown>;
}

/** The package.json above `dir` whose name is viworks (cli/, dist/cli/ and dist/cli-bundle/ differ in depth). */
function readPackageJson(dir: string): CliLoadOptions['pjson'] {
  for (let d = dir; ; d = dirname(d)) {
    const path = join(d, 'package.json');
    if (existsSync(path)) {
      const pjson = JSON.parse(readFileSync(path, 'utf8'));
      if (pjson.name === 'viworks') return pjson;
    }
    if (dirname(d) === d) throw new Error(`no viworks package.json above ${dir}`);
  }
}

/** The load options for the commands under `root` (`<root>/commands/…`, `<root>/oclif.manifest.json`). */
export function cliLoadOptions(root: string): CliLoadOptions {
  const pjson = readPackageJson(root);
  return { root, pjson: { ...pjson, oclif: { ...pjson.oclif, commands: './commands' } } };
}

/** Whether `root` holds a manifest oclif may trust: present, and written no earlier than `builtFile`. */
export function manifestIsFresh(root: string, builtFile: string): boolean {
  try {
    return statSync(join(root, MANIFEST_FILE)).mtimeMs >= statSync(builtFile).mtimeMs;
  } catch {
    return false;
  }
}
