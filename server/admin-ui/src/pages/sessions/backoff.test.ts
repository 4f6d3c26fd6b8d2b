import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_RETRY_MS, MAX_RETRY_MS, retryDelayMs } from './backoff.js';

describe('reconnect backoff', () => {
  it('doubles from one second and stops at the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(retryDelayMs), [1000, 2000, 4000, 8000, 16000]);
    assert.equal(retryDelayMs(6), MAX_RETRY_MS);
    assert.equal(retryDelayMs(1000), MAX_RETRY_MS, 'no overflow after many failures');
    assert.equal(retryDelayMs(1), FIRST_RETRY_MS);
  });
});
