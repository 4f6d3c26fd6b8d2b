// runCli: a trusted manifest answers help without importing a command module; an untrusted one is
// never read, even though it sits where oclif looks (the fallback after a tsc-only rebuild).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { cliLoadOptions, MANIFEST_FILE } from './cli-root.js';
import { runCli } from './main.js';

// The command module imports the very @oclif/core this test runs (one Command class).
const oclifUrl = pathToFileURL(createRequire(import.meta.url).resolve('@oclif/core')).href;

/** A CLI root with one real command (`hello`) and a manifest that names another (`ghost`). */
function fixture(dir: string): string {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'viworks', version: '9.9.9', type: 'module', oclif: { bin: 'viworks' } }),
  );
  const root = join(dir, 'cli');
  mkdirSync(join(root, 'commands'), { recursive: true });
  writeFileSync(
    join(root, 'commands', 'hello.js'),
    `import { Command, Flags } from '${oclifUrl}';
export default class Hello extends Command {
  static summary = 'Greets from the command module';
  static flags = { loud: Flags.boolean({ description: 'Shout' }) };
  async run() {}
}
`,
  );
  writeFileSync(
    join(root, MANIFEST_FILE),
    JSON.stringify({
      version: '9.9.9',
      commands: {
        ghost: {
          id: 'ghost',
          summary: 'Only in an old manifest',
          aliases: [],
          args: {},
          flags: {},
          hidden: false,
          hiddenAliases: [],
          pluginAlias: 'viworks',
          pluginName: 'viworks',
          pluginType: 'core',
          isESM: true,
          relativePath: ['commands', 'ghost.js'],
        },
      },
    }),
  );
  return root;
}

async function helpText(root: string, trustManifest: boolean): Promise<string> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  const argv = process.argv;
  process.argv = [argv[0] ?? 'node', 'viworks', '--help'];
  try {
    await runCli(cliLoadOptions(root), trustManifest);
  } finally {
    process.stdout.write = write;
    process.argv = argv;
  }
  return out;
}

describe('runCli', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viworks-cli-main-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const root = fixture(dir);

  it('with a trusted manifest, help lists what the manifest says (no module imported)', async () => {
    const text = await helpText(root, true);
    assert.match(text, /ghost\s+Only in an old manifest/);
    assert.doesNotMatch(text, /hello/);
  });

  it('with an untrusted manifest, help lists the command modules and ignores the manifest', async () => {
    const text = await helpText(root, false);
    assert.match(text, /hello\s+Greets from the command module/);
    assert.doesNotMatch(text, /ghost/);
  });
});
