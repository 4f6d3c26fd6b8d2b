// The output file and the saved state: a pending round is appended exactly once whatever part of it
// a crash let through; a file changed behind the normalizer's back gets the round on a line of its
// own (possibly twice, never lost); a full file is rotated to `.1`; the state file is 0600, replaced
// whole and checked when read back.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readObserverState, writeObserverState } from './observer-state.js';
import { completeRound, prepareOutput } from './output.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'viw-observe-out-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ROUND = '{"seq":3,"x":1}\n{"seq":4,"x":2}\n';

describe('completeRound', () => {
  const setup = (name: string, before: string, written: string) => {
    const path = join(dir, name);
    writeFileSync(path, before, { mode: 0o600 });
    const at = prepareOutput(path, `${path}.1`);
    writeFileSync(path, before + written, { mode: 0o600 });
    return { path, pending: { ...at, text: ROUND } };
  };
  const BEFORE = '{"seq":1}\n{"seq":2}\n';

  for (const [what, written] of [
    ['nothing written yet', ''],
    ['cut inside the first line', ROUND.slice(0, 7)],
    ['cut between the lines', ROUND.slice(0, ROUND.indexOf('\n') + 1)],
    ['all of it written', ROUND],
  ] as const) {
    test(`${what}: the round appears once`, () => {
      const { path, pending } = setup(what.replace(/ /g, '-'), BEFORE, written);
      assert.equal(completeRound(path, pending), ROUND.length - written.length);
      assert.equal(readFileSync(path, 'utf8'), BEFORE + ROUND);
      assert.equal(completeRound(path, pending), 0, 'and a second recovery adds nothing');
    });
  }

  test('a file changed behind its back: the round on a line of its own', () => {
    const { path, pending } = setup('changed', BEFORE, 'garbage');
    completeRound(path, pending);
    assert.equal(readFileSync(path, 'utf8'), `${BEFORE}garbage\n${ROUND}`);
  });

  test('a file replaced by another one: the round goes to the new file', () => {
    const { path, pending } = setup('replaced', BEFORE, '');
    rmSync(path);
    writeFileSync(path, '', { mode: 0o600 });
    completeRound(path, pending);
    assert.equal(readFileSync(path, 'utf8'), ROUND);
  });
});

test('prepareOutput creates the file 0600 and rotates it to .1 once it is full', () => {
  const path = join(dir, 'rotating.jsonl');
  const first = prepareOutput(path, `${path}.1`, 64);
  assert.equal(first.offset, 0);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileSync(path, 'x'.repeat(63));
  assert.equal(prepareOutput(path, `${path}.1`, 64).inode, first.inode, 'not full yet');
  writeFileSync(path, 'x'.repeat(64));
  const next = prepareOutput(path, `${path}.1`, 64);
  assert.notEqual(next.inode, first.inode);
  assert.equal(next.offset, 0);
  assert.equal(readFileSync(`${path}.1`, 'utf8'), 'x'.repeat(64));
});

test('the state file: 0600, read back as written, anything else refused', () => {
  const path = join(dir, 'state.json');
  assert.equal(readObserverState(path), undefined, 'none yet');
  const cursor = '12:0123456789abcdef:345';
  const state = {
    v: 1 as const,
    seq: 42,
    cursors: { fwknopd: cursor, stunnel: cursor, openvpn: '0:0000000000000000:0' },
    relays: [{ relay: 50_000, ip: '192.0.2.1', port: 40_000, session: `s-${'a'.repeat(32)}` }],
    pending: null,
  };
  writeObserverState(path, state);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readObserverState(path), state);
  for (const bad of [
    'not json',
    JSON.stringify({ ...state, seq: -1 }),
    JSON.stringify({ ...state, cursors: { ...state.cursors, stunnel: 'end' } }),
    JSON.stringify({ ...state, extra: true }),
    JSON.stringify({ ...state, relays: [{ relay: 1, ip: '1.2.3.4; rm', port: 1, session: null }] }),
  ]) {
    writeFileSync(path, bad);
    assert.throws(() => readObserverState(path), { code: 'VIW_E_INTERNAL' }, bad);
  }
  assert.throws(() => writeObserverState(path, { ...state, seq: 1.5 }), { code: 'VIW_E_INTERNAL' });
});
