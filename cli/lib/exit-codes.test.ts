import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ERRORS } from '../../core/errors/catalogue.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

it('maps every catalogue code into the table, and anything unknown to internal (7)', () => {
  const allowed = new Set<number>(Object.values(EXIT).filter((c) => c !== 0));
  for (const code of Object.keys(ERRORS)) assert.ok(allowed.has(exitCodeFor(code)), code);
  assert.deepEqual(
    [
      'VIW_E_VALIDATION',
      'VIW_E_AUTH_FAILED',
      'VIW_E_FORBIDDEN',
      'VIW_E_PIN_MISMATCH',
      'VIW_E_DAEMON_UNAVAILABLE',
    ].map(exitCodeFor),
    [2, 3, 4, 5, 6],
  );
  assert.equal(exitCodeFor('VIW_E_SOMETHING_NEW'), 7);
  assert.equal(exitCodeFor('__proto__'), 7);
});
