// The figure objects `npm run bench -- --json` prints: ratio to the same-run baseline, the target on
// the value or on the ratio, and "met" computed from them (null when nothing can be judged).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { figure, recordedFigures } from './figures.js';

describe('bench figures', () => {
  it('a value target: met at the limit, missed past it, ratio to the baseline', () => {
    const at = figure({
      name: 'a',
      value: 300,
      unit: 'ms',
      baseline: { name: 'b', value: 150 },
      target: { on: 'value', op: '<=', limit: 300 },
    });
    assert.deepEqual([at.ratio, at.target, at.met], [2, '<= 300 ms', true]);
    const past = figure({
      name: 'a',
      value: 300.4,
      unit: 'ms',
      target: { on: 'value', op: '<=', limit: 300 },
    });
    assert.equal(past.met, false);
    assert.equal(past.ratio, null);
  });

  it('a ratio target judges the ratio, not the value', () => {
    const f = figure({
      name: 'cpu',
      value: 2.6,
      unit: 's/GB',
      baseline: { name: 'stunnel', value: 2 },
      target: { on: 'ratio', op: '<=', limit: 1.3 },
    });
    assert.deepEqual([f.ratio, f.target, f.met], [1.3, 'ratio <= 1.3', true]);
    const up = figure({
      name: 'tput',
      value: 0.9,
      unit: 'Gbit/s',
      baseline: { name: 'stunnel', value: 1 },
      target: { on: 'ratio', op: '>=', limit: 1 },
    });
    assert.equal(up.met, false);
  });

  it('no value (not measured) or no baseline for a ratio target: met is null, never true', () => {
    assert.equal(
      figure({ name: 'x', value: null, unit: 'ms', target: { on: 'value', op: '<=', limit: 1 } }).met,
      null,
    );
    assert.equal(
      figure({ name: 'y', value: 5, unit: 'ms', target: { on: 'ratio', op: '<=', limit: 2 } }).met,
      null,
    );
    assert.equal(figure({ name: 'z', value: Number.NaN, unit: 'ms' }).value, null);
    assert.ok(recordedFigures().length >= 7);
  });
});
