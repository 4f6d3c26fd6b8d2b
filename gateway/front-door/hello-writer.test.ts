import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HelloLogWriter, MAX_QUEUED } from './hello-writer.js';

describe('HelloLogWriter', () => {
  let dir: string;
  let log: string;
  let errors: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hello-writer-'));
    log = join(dir, 'hellos.jsonl');
    errors = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const report = (e: Error) => errors.push(e.message);

  it('appends the lines in order to a 0600 file', async () => {
    const w = new HelloLogWriter(log, report);
    for (let i = 0; i < 50; i++) w.write(`{"n":${i}}`);
    await w.flush();
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { n: number }).n),
      [...Array(50).keys()],
    );
    assert.equal(statSync(log).mode & 0o777, 0o600);
    assert.deepEqual(errors, []);
  });

  it('past its size bound the log moves to .1 and a new one begins; below it nothing moves', async () => {
    const line = 'x'.repeat(99); // 100 bytes with its newline
    const w = new HelloLogWriter(log, report, 1000);
    for (let i = 0; i < 10; i++) {
      w.write(line);
      await w.flush();
    }
    assert.equal(existsSync(`${log}.1`), false, 'exactly at the bound: still one file');
    assert.equal(statSync(log).size, 1000);
    w.write(line);
    await w.flush();
    assert.equal(statSync(`${log}.1`).size, 1000);
    assert.equal(readFileSync(log, 'utf8'), `${line}\n`);
    assert.deepEqual(errors, []);
  });

  it('never writes through a symlink: the line is reported, the target untouched', async () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'keep\n');
    symlinkSync(target, log);
    const w = new HelloLogWriter(log, report);
    w.write('{"n":1}');
    await w.flush();
    assert.equal(readFileSync(target, 'utf8'), 'keep\n');
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /cannot append to the hello log \(ELOOP\)/);
  });

  it('a flood beyond the queue is dropped and counted, not held in memory', async () => {
    const w = new HelloLogWriter(log, report);
    for (let i = 0; i < MAX_QUEUED + 20; i++) w.write('{}');
    // The first line started a write at once, so the queue behind it holds MAX_QUEUED more.
    await w.flush();
    w.write('{"last":true}');
    await w.flush();
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, MAX_QUEUED + 1 + 1);
    assert.ok(
      errors.some((e) => /19 hello line\(s\) dropped/.test(e)),
      errors.join('; '),
    );
  });
});
