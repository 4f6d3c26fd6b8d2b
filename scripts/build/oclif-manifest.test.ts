// The manifest the build writes (dist/cli, dist/cli-bundle) is made by buildManifest from the
// command modules: here it is made from the TypeScript sources and held against them, so a command
// missing from it, under another id, or with other flags than its class declares fails here. The
// runtime's guard against a manifest older than the build (never used, the modules are read) is in
// cli/lib/cli-root.test.ts and cli/lib/main.test.ts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliLoadOptions } from '../../cli/lib/cli-root.js';
import { buildManifest, type Manifest } from './oclif-manifest.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cliDir = join(repo, 'cli');
const commandsDir = join(cliDir, 'commands');

function commandFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return commandFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** `cli/commands/admin/users/list.ts` → `admin:users:list`. */
const idOf = (file: string) => relative(commandsDir, file).replace(/\.ts$/, '').split('/').join(':');

describe('buildManifest over the command sources', () => {
  let manifest: Manifest;
  const files = commandFiles(commandsDir);
  before(async () => {
    manifest = await buildManifest(cliLoadOptions(cliDir));
  });

  it('has exactly one entry per command file, under the id its path gives, pointing at that file', () => {
    assert.deepEqual(Object.keys(manifest.commands).sort(), files.map(idOf).sort());
    for (const file of files) {
      const entry = manifest.commands[idOf(file)];
      assert.ok(entry?.relativePath, `${idOf(file)}: relativePath`);
      assert.equal(join(cliDir, ...entry.relativePath), file);
      assert.equal(entry.isESM, true, `${idOf(file)}: imported as ESM`);
    }
  });

  it("carries each command's own flags (plus --json), summary and aliases", async () => {
    for (const file of files) {
      const Cmd = ((await import(pathToFileURL(file).href)) as { default: CommandStatics }).default;
      const entry = manifest.commands[idOf(file)];
      assert.ok(entry, idOf(file));
      const expected = [...Object.keys(Cmd.flags ?? {}), 'json'].sort();
      assert.deepEqual(Object.keys(entry.flags).sort(), expected, `${idOf(file)}: flags`);
      assert.equal(entry.summary, Cmd.summary, `${idOf(file)}: summary`);
      assert.deepEqual(entry.aliases, Cmd.aliases ?? [], `${idOf(file)}: aliases`);
    }
  });

  it('records the package version oclif compares before trusting a manifest', () => {
    const pjson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    assert.equal(manifest.version, pjson.version);
  });
});

interface CommandStatics {
  readonly flags?: Record<string, unknown>;
  readonly summary?: string;
  readonly aliases?: string[];
}
