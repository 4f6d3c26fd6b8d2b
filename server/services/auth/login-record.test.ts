import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MLOCK_STATES, type ProcessPosture, postureFindings } from '../../../core/api/posture.js';
import { isHardened } from '../policy/facts.js';
import { storedPosture } from './login-record.js';

const OK: ProcessPosture = {
  dumpable: false,
  core_limit_zero: true,
  mlock: 'secrets',
  no_new_privs: true,
  tracer: false,
};

/** Every posture the schema allows (2^4 boolean combinations × each mlock state). */
function everyPosture(): ProcessPosture[] {
  const all: ProcessPosture[] = [];
  for (let bits = 0; bits < 16; bits++) {
    for (const mlock of MLOCK_STATES) {
      all.push({
        dumpable: (bits & 1) !== 0,
        core_limit_zero: (bits & 2) !== 0,
        no_new_privs: (bits & 4) !== 0,
        tracer: (bits & 8) !== 0,
        mlock,
      });
    }
  }
  return all;
}

describe('stored posture', () => {
  it('reads back what was stored, and anything else as null', () => {
    assert.deepEqual(storedPosture(JSON.stringify(OK)), OK);
    assert.equal(storedPosture(null), null);
    assert.equal(storedPosture(''), null);
    assert.equal(storedPosture('{"dumpable":'), null);
    assert.equal(storedPosture('null'), null);
    assert.equal(storedPosture(JSON.stringify({ ...OK, extra: true })), null);
    assert.equal(storedPosture(JSON.stringify({ ...OK, mlock: 'pinned' })), null);
    const { tracer: _t, ...partial } = OK;
    assert.equal(storedPosture(JSON.stringify(partial)), null);
  });

  it('lists no finding exactly when the policy counts the posture as hardened', () => {
    for (const p of everyPosture()) {
      assert.equal(postureFindings(p).length === 0, isHardened(p), JSON.stringify(p));
    }
    assert.deepEqual(postureFindings(OK), []);
    assert.deepEqual(postureFindings({ ...OK, dumpable: true, core_limit_zero: false }), [
      'dumpable',
      'core_limit',
    ]);
    assert.deepEqual(postureFindings({ ...OK, no_new_privs: false, tracer: true }), ['new_privs', 'tracer']);
  });
});
