import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import { isViworksError } from '../errors/viworks-error.js';
import { strictValidator } from './strict.js';

describe('strictValidator', () => {
  const v = strictValidator(
    Type.Object({ name: Type.String({ maxLength: 8 }) }, { additionalProperties: false }),
  );

  it('accepts valid input and rejects unknown fields and wrong types with the given code', () => {
    assert.deepEqual(v.parse({ name: 'ok' }), { name: 'ok' });
    assert.throws(
      () => v.parse({ name: 'ok', extra: 1 }),
      (e) => isViworksError(e, 'VIW_E_VALIDATION'),
    );
    assert.throws(
      () => v.parse({ name: 5 }, 'VIW_E_CONFIG'),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });

  it('names paths, never values, and bounds attacker-chosen names', () => {
    const secret = 'hunter2-secret-value';
    try {
      v.parse({ name: secret, ['x'.repeat(5000)]: 1 });
      assert.fail('expected a rejection');
    } catch (e) {
      assert.ok(isViworksError(e));
      assert.ok(e.details.length > 0);
      for (const d of e.details) {
        assert.ok(!d.includes(secret));
        assert.ok(d.length <= 160);
      }
    }
  });
});
