import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic, writeFileIfChanged } from './atomic-file.js';
import { appendAudit } from './audit-log.js';
import { acquireNodeLock } from './node-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'viw-gw-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('atomic write: content and mode land together, no temp file is left', () => {
  const path = join(dir, 'secret.key');
  const old = process.umask(0);
  try {
    writeFileAtomic(path, 'first', 0o600);
  } finally {
    process.umask(old);
  }
  assert.equal(readFileSync(path, 'utf8'), 'first');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileAtomic(path, 'second', 0o600);
  assert.equal(readFileSync(path, 'utf8'), 'second');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
  );
});

test('writeFileIfChanged reports changes of content and of mode only', () => {
  const path = join(dir, 'conf');
  assert.equal(writeFileIfChanged(path, 'a\n', 0o644), true);
  assert.equal(writeFileIfChanged(path, 'a\n', 0o644), false);
  assert.equal(writeFileIfChanged(path, 'a\n', 0o600), true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(writeFileIfChanged(path, 'b\n', 0o600), true);
});

test('audit: seq is monotonic and persisted, the log is 0600 JSON lines', () => {
  const stateDir = mkdtempSync(join(dir, 'st-'));
  const log = join(dir, 'audit.log');
  const draft = { verb: 'health', args: [], rc: 0, duration_ms: 1, ssh_client: null, error: null };
  const a = appendAudit(stateDir, log, draft);
  const b = appendAudit(stateDir, log, { ...draft, verb: 'invalid', rc: 2, error: 'VIW_E_FORBIDDEN' });
  assert.equal(b.seq, a.seq + 1);
  // A new process would read the persisted counter: simulate by reading the file, not memory.
  assert.equal(readFileSync(join(stateDir, 'audit.seq'), 'utf8').trim(), String(b.seq));
  const lines = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => [l.seq, l.verb, l.rc]),
    [
      [1, 'health', 0],
      [2, 'invalid', 2],
    ],
  );
  assert.equal(statSync(log).mode & 0o777, 0o600);
});

test('lock: a second holder waits until release, then gets it', async () => {
  const stateDir = mkdtempSync(join(dir, 'lk-'));
  const first = await acquireNodeLock(stateDir, 1_000);
  await assert.rejects(acquireNodeLock(stateDir, 100), /busy/);
  const order: string[] = [];
  const second = acquireNodeLock(stateDir, 5_000).then((l) => {
    order.push('second');
    return l;
  });
  order.push('release');
  first.release();
  (await second).release();
  assert.deepEqual(order, ['release', 'second']);
});

test('lock: a lock left by a dead process is taken over', async () => {
  const stateDir = mkdtempSync(join(dir, 'stale-'));
  const dead = 999_999_999; // above any pid_max: surely not a live process
  writeFileSync(join(stateDir, 'viworks-gw.lock'), `${dead}\n`);
  const lock = await acquireNodeLock(stateDir, 1_000);
  assert.equal(readFileSync(join(stateDir, 'viworks-gw.lock'), 'utf8').trim(), String(process.pid));
  lock.release();
});
