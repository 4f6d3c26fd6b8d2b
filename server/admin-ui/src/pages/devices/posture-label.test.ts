import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessPosture } from '../../../../../core/api/posture.js';
import { postureLabel } from './posture-label.js';

const HARDENED: ProcessPosture = {
  dumpable: false,
  core_limit_zero: true,
  mlock: 'unavailable',
  no_new_privs: true,
  tracer: false,
};

describe('the Devices page posture label', () => {
  it('says OK for a hardened posture (memory locking is not judged) and shows every value on hover', () => {
    assert.deepEqual(postureLabel(HARDENED), {
      tone: 'ok',
      text: 'OK',
      detail: 'dumpable=false core_limit_zero=true mlock=unavailable no_new_privs=true tracer=false',
    });
  });

  it('names each failed check, and only those', () => {
    assert.equal(postureLabel({ ...HARDENED, tracer: true }).text, 'debugger attached');
    const loose = postureLabel({ ...HARDENED, dumpable: true, core_limit_zero: false, no_new_privs: false });
    assert.equal(loose.tone, 'warn');
    assert.equal(loose.text, 'dumpable, core dumps allowed, new privileges allowed');
  });

  it('says "not reported" when the last login declared none', () => {
    assert.deepEqual(postureLabel(null), { tone: 'none', text: 'not reported', detail: null });
  });
});
