// Writes `<root>/oclif.manifest.json` for the compiled commands under `<root>/commands` (dist/cli,
// dist/cli-bundle): every command's id, flags, args, summary and the file it lives in, so that
// `viworks <command>` imports only that command's module and `viworks --help` imports none (without
// it oclif imports all ~65 command modules and their libraries on every start). Made with
// @oclif/core's own Plugin class, as the `oclif manifest` command does (no dependency on the
// `oclif` dev tool); fails if any command module fails to load, so no command drops out silently.
//
//   node --import tsx scripts/build/oclif-manifest.ts [root…]    # default: dist/cli, after tsc
//
// Never at the package root, where the development entry would read it: see cli/lib/cli-root.ts.
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Plugin } from '@oclif/core';
import { type CliLoadOptions, cliLoadOptions, MANIFEST_FILE } from '../../cli/lib/cli-root.js';

export type Manifest = Plugin['manifest'];

/** The manifest of the commands under `options.root`, read from their modules (never from a manifest). */
export async function buildManifest(options: CliLoadOptions): Promise<Manifest> {
  const plugin = new Plugin({
    ...options,
    type: 'core',
    isRoot: true,
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  });
  await plugin.load();
  return plugin.manifest;
}

/** Builds and writes the manifest of the commands under `root`. */
export async function writeManifest(root: string): Promise<{ path: string; commands: number }> {
  const manifest = await buildManifest(cliLoadOptions(root));
  const path = join(root, MANIFEST_FILE);
  // Compact (it is read on every start), and renamed into place: a `viworks` started meanwhile
  // sees the old file or the new one, never half of one.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(manifest)}\n`);
  renameSync(`${path}.tmp`, path);
  return { path, commands: Object.keys(manifest.commands).length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const roots = process.argv.length > 2 ? process.argv.slice(2) : ['dist/cli'];
  for (const root of roots) {
    const { path, commands } = await writeManifest(resolve(root));
    console.log(`oclif manifest: ${commands} commands → ${path}`);
  }
}
