// CommonJS through node:vm with a V8 code cache: the module runs the same with the cache, without
// it and with one V8 refuses; import() goes through the loader's parameter; the file is found
// beside the caller or one directory up (an entry or a shared chunk of the bundle).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CODE_CACHE_SUFFIX,
  compileCommonJs,
  IMPORT_PARAM,
  loadCachedCommonJs,
  runCommonJs,
} from './code-cache.js';

const MODULE = `
const { basename } = require('node:path');
exports.name = basename(__filename);
exports.twice = (x) => 2 * x;
exports.importPath = () => ${IMPORT_PARAM}('node:path').then((m) => typeof m.join);
`;

describe('code cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viworks-code-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'm.cjs');
  writeFileSync(file, MODULE);

  type M = { name: string; twice(x: number): number; importPath(): Promise<string> };

  it('runs a CommonJS file with require, __filename and import()', async () => {
    const m = runCommonJs(compileCommonJs(file), file) as M;
    assert.equal(m.name, 'm.cjs');
    assert.equal(m.twice(21), 42);
    assert.equal(await m.importPath(), 'function');
  });

  // V8 keeps what it compiled in memory too: a cache is only consulted by a process (or for a
  // source) that has not compiled it yet, hence a fresh process and distinct sources here.
  it('compiles from the cache made after a run, in a fresh process', () => {
    const first = compileCommonJs(file);
    runCommonJs(first, file);
    writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, first.createCachedData());
    const here = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'code-cache.ts')).href;
    const script =
      `const { compileCommonJs, runCommonJs } = await import(${JSON.stringify(here)});` +
      `const { readFileSync } = await import('node:fs');` +
      `const f = ${JSON.stringify(file)};` +
      `const s = compileCommonJs(f, readFileSync(f + ${JSON.stringify(CODE_CACHE_SUFFIX)}));` +
      `console.log(JSON.stringify([s.cachedDataRejected, runCommonJs(s, f).twice(2)]));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [false, 4]);
  });

  it('refuses a cache that is not for this source, and compiles it as usual', () => {
    const other = join(dir, 'other.cjs');
    writeFileSync(other, `${MODULE}// another source\n`);
    const foreign = compileCommonJs(other, Buffer.from('not a V8 code cache'));
    assert.equal(foreign.cachedDataRejected, true);
    assert.equal((runCommonJs(foreign, other) as M).twice(3), 6);
  });

  it('finds the file beside the caller or one level up, with its cache if any', () => {
    const chunks = join(dir, 'chunks');
    mkdirSync(chunks);
    const caller = pathToFileURL(join(chunks, 'chunk-X.js')).href;
    writeFileSync(`${file}${CODE_CACHE_SUFFIX}`, 'a refused cache: compiled as usual');
    assert.equal((loadCachedCommonJs('m.cjs', caller) as M).twice(5), 10);
    writeFileSync(join(chunks, 'n.cjs'), 'exports.here = true;');
    assert.equal((loadCachedCommonJs('n.cjs', caller) as { here: boolean }).here, true);
    assert.throws(() => loadCachedCommonJs('missing.cjs', caller), /missing\.cjs not found/);
  });
});
