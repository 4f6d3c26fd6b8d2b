// Where the CLI's commands and manifest are looked for, and when a manifest is trusted: never the
// package root, and never a manifest older than the compiled bin.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliLoadOptions, MANIFEST_FILE, manifestIsFresh } from './cli-root.js';

const cliDir = dirname(dirname(fileURLToPath(import.meta.url)));

describe('cliLoadOptions', () => {
  it('roots oclif at the directory holding commands/, with package.json from the package above it', () => {
    const o = cliLoadOptions(cliDir);
    assert.equal(o.root, cliDir);
    assert.equal(o.pjson.name, 'viworks');
    assert.equal(o.pjson.oclif.commands, './commands');
    assert.ok(o.pjson.oclif.topics, 'topics come from package.json');
    assert.notEqual(o.root, dirname(cliDir), 'never the package root, where oclif would read any manifest');
  });

  it('the sources carry no manifest (the development entry and tests read the modules)', () => {
    assert.equal(existsSync(join(cliDir, MANIFEST_FILE)), false);
    assert.equal(existsSync(join(dirname(cliDir), MANIFEST_FILE)), false);
  });
});

describe('manifestIsFresh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viworks-cli-root-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'viworks.js');
  const manifest = join(dir, MANIFEST_FILE);
  writeFileSync(bin, '');
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  it('is false without a manifest', () => {
    assert.equal(manifestIsFresh(dir, bin), false);
  });

  it('is true for a manifest written after the bin, or in the same instant', () => {
    writeFileSync(manifest, '{}');
    at(bin, 1_000_000);
    at(manifest, 1_000_001);
    assert.equal(manifestIsFresh(dir, bin), true);
    at(manifest, 1_000_000);
    assert.equal(manifestIsFresh(dir, bin), true);
  });

  it('is false once the bin was rebuilt after the manifest (tsc without the manifest step)', () => {
    at(manifest, 1_000_000);
    at(bin, 1_000_001);
    assert.equal(manifestIsFresh(dir, bin), false);
  });

  it('is false when the bin itself is missing', () => {
    assert.equal(manifestIsFresh(dir, join(dir, 'missing.js')), false);
  });
});
