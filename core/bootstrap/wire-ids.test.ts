import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromWireId, toWireId, wireIdPattern } from './wire-ids.js';

describe('wire ids', () => {
  const uuid = '0190c6e2-7b1d-7c3e-9a41-5f0e2d8c1b22';

  it('maps a UUID to s-/d- + 32 hex and back exactly', () => {
    const s = toWireId('s', uuid);
    assert.equal(s, 's-0190c6e27b1d7c3e9a415f0e2d8c1b22');
    assert.equal(fromWireId('s', s), uuid);
    assert.equal(fromWireId('d', toWireId('d', uuid.toUpperCase())), uuid);
    assert.match(s, new RegExp(wireIdPattern('s')));
    // Fits the payload's and the envelope's id patterns.
    assert.match(s, /^s-[A-Za-z0-9_-]{4,64}$/);
    assert.ok(s.length <= 64);
  });

  it('refuses the wrong kind and anything not canonical', () => {
    assert.equal(fromWireId('d', toWireId('s', uuid)), null);
    for (const bad of [
      's-',
      's-0190c6e2',
      `s-${'A'.repeat(32)}`,
      `s-${'0'.repeat(33)}`,
      ` s-${'0'.repeat(32)}`,
    ]) {
      assert.equal(fromWireId('s', bad), null, bad);
    }
    assert.throws(() => toWireId('s', 'not-a-uuid'), RangeError);
  });
});
