// Runs oclif over the commands under one root (cli/lib/cli-root.ts). Its own module so that the
// bundle (dist/cli-bundle/lib/main.js) runs the same oclif as its commands (the code-cached one,
// cli/lib/oclif-code-cache.ts): the bin imports this or the bundled copy, never both.
import { execute, Plugin } from '@oclif/core';
import type { CliLoadOptions } from './cli-root.js';

/** `trustManifest`: use `<root>/oclif.manifest.json` (fresh); otherwise read every command module. */
export async function runCli(options: CliLoadOptions, trustManifest: boolean): Promise<void> {
  if (trustManifest) {
    await execute({ loadOptions: options });
    return;
  }
  // oclif reads a manifest whenever one is there: a stale one is kept out by handing oclif a root
  // plugin already loaded from the command modules (slower start, never stale).
  const root = new Plugin({ ...options, isRoot: true, ignoreManifest: true });
  await root.load();
  await execute({ loadOptions: { ...options, plugins: new Map([[root.name, root]]) } });
}
