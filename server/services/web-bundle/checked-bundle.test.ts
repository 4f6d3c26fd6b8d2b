// The shared loader of a built web bundle: every listed file read and matched against its
// SHA-256; a missing list, a missing or altered file, a name outside the caller's pattern, an
// unlisted field or a build without index.html each stop the start with VIW_E_CONFIG naming the
// bundle.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import { listedFilesSchema, loadCheckedBundle } from './checked-bundle.js';

const validator = strictValidator(
  Type.Object(
    {
      build_id: Type.String({ pattern: '^[0-9a-f]{16}$' }),
      files: listedFilesSchema({
        namePattern: '^[a-z0-9][a-z0-9-]*\\.(html|js)$',
        maxNameLength: 32,
        maxFileBytes: 1024,
      }),
    },
    closed,
  ),
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-web-bundle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

/** Writes the files and a files.json listing them (the listed hash may be overridden). */
function writeBundle(files: Record<string, string>, listedHash: Record<string, string> = {}): void {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const list = Object.entries(files).map(([name, body]) => ({
    name,
    bytes: body.length,
    sha256: listedHash[name] ?? sha256(body),
  }));
  writeFileSync(join(dir, 'files.json'), JSON.stringify({ build_id: 'a'.repeat(16), files: list }));
}

function assertConfigError(fn: () => unknown, detail: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ViworksError);
    assert.equal(e.code, 'VIW_E_CONFIG');
    assert.match(String(e.details[0]), detail);
    return true;
  });
}

describe('loadCheckedBundle', () => {
  it('returns the parsed list and every file body, in list order', () => {
    writeBundle({ 'index.html': '<p>hi</p>', 'app.js': 'run()' });
    const bundle = loadCheckedBundle(dir, validator, 'test app');
    assert.equal(bundle.list.build_id, 'a'.repeat(16));
    assert.deepEqual(
      bundle.files.map((f) => [f.name, f.body.toString()]),
      [
        ['index.html', '<p>hi</p>'],
        ['app.js', 'run()'],
      ],
    );
  });

  it('refuses a file whose bytes differ from its listed hash', () => {
    writeBundle({ 'index.html': '<p>hi</p>', 'app.js': 'run()' }, { 'app.js': sha256('run( )') });
    assertConfigError(
      () => loadCheckedBundle(dir, validator, 'test app'),
      /^test app: app\.js does not match/,
    );
  });

  it('refuses a listed file that is missing', () => {
    writeBundle({ 'index.html': '<p>hi</p>' });
    const list = { build_id: 'a'.repeat(16), files: [{ name: 'gone.js', bytes: 1, sha256: sha256('x') }] };
    writeFileSync(join(dir, 'files.json'), JSON.stringify(list));
    assertConfigError(() => loadCheckedBundle(dir, validator, 'test app'), /gone\.js is listed but missing/);
  });

  it('refuses a missing files.json, a name outside the pattern and an unknown field', () => {
    assertConfigError(
      () => loadCheckedBundle(dir, validator, 'test app'),
      /files\.json is missing or malformed/,
    );
    writeBundle({ 'index.html': '<p>hi</p>', 'app.css': 'p{}' });
    assertConfigError(
      () => loadCheckedBundle(dir, validator, 'test app'),
      /files\.json is missing or malformed/,
    );
    writeFileSync(
      join(dir, 'files.json'),
      JSON.stringify({ build_id: 'a'.repeat(16), files: [], extra: true }),
    );
    assertConfigError(
      () => loadCheckedBundle(dir, validator, 'test app'),
      /files\.json is missing or malformed/,
    );
  });

  it('refuses a build without index.html', () => {
    writeBundle({ 'app.js': 'run()' });
    assertConfigError(() => loadCheckedBundle(dir, validator, 'test app'), /has no index\.html/);
  });
});
