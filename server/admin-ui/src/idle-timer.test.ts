import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCountdown, IdleTimer, WARN_BEFORE_MS } from './idle-timer.js';

const MIN = 60_000;

describe('IdleTimer', () => {
  it('ends idleMs after the last call, not before', () => {
    const t = new IdleTimer(15 * MIN, Number.POSITIVE_INFINITY, 0);
    assert.equal(t.remainingMs(15 * MIN - 1), 1);
    assert.equal(t.expired(15 * MIN - 1), false);
    assert.equal(t.expired(15 * MIN), true);
  });

  it('a call starts the idle limit again; time alone does not', () => {
    const t = new IdleTimer(15 * MIN, Number.POSITIVE_INFINITY, 0);
    t.touch(10 * MIN);
    assert.equal(t.remainingMs(10 * MIN), 15 * MIN);
    assert.equal(t.expired(24 * MIN), false);
    assert.equal(t.expired(25 * MIN), true);
  });

  it('the absolute end wins over a recent call', () => {
    const t = new IdleTimer(15 * MIN, 20 * MIN, 0);
    t.touch(19 * MIN);
    assert.equal(t.remainingMs(19 * MIN), MIN);
    assert.equal(t.expired(20 * MIN), true);
  });

  it('warns only in the last minute, and not once expired', () => {
    const t = new IdleTimer(15 * MIN, Number.POSITIVE_INFINITY, 0);
    assert.equal(t.warning(15 * MIN - WARN_BEFORE_MS - 1), false);
    assert.equal(t.warning(15 * MIN - WARN_BEFORE_MS), true);
    assert.equal(t.warning(15 * MIN), false);
  });

  it('refuses a limit that is not positive', () => {
    assert.throws(() => new IdleTimer(0, Number.POSITIVE_INFINITY, 0), RangeError);
    assert.throws(() => new IdleTimer(Number.NaN, Number.POSITIVE_INFINITY, 0), RangeError);
  });
});

describe('formatCountdown', () => {
  it('rounds up to whole seconds and reaches 0:00 at the end', () => {
    assert.equal(formatCountdown(15 * MIN), '15:00');
    assert.equal(formatCountdown(15 * MIN - 1), '15:00');
    assert.equal(formatCountdown(59_001), '1:00');
    assert.equal(formatCountdown(1), '0:01');
    assert.equal(formatCountdown(0), '0:00');
    assert.equal(formatCountdown(-5), '0:00');
    assert.equal(formatCountdown(8 * 60 * MIN), '8:00:00');
    assert.equal(formatCountdown(61 * MIN + 5_000), '1:01:05');
  });
});
