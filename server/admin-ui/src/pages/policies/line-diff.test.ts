import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineDiff, prettyJson, unchanged } from './line-diff.js';

const render = (before: string, after: string) =>
  lineDiff(before, after)
    .map((l) => `${l.op}${l.text}`)
    .join('|');

describe('lineDiff', () => {
  it('marks an added route as one added line between kept ones', () => {
    const before = prettyJson({ routes: ['10.0.0.0/8'], mode: 'full' });
    const after = prettyJson({ routes: ['10.0.0.0/8', '172.16.0.0/12'], mode: 'full' });
    const diff = lineDiff(before, after);
    assert.deepEqual(
      diff.filter((l) => l.op !== ' '),
      [
        { op: '-', text: '    "10.0.0.0/8"' },
        { op: '+', text: '    "10.0.0.0/8",' },
        { op: '+', text: '    "172.16.0.0/12"' },
      ],
    );
    assert.equal(diff.filter((l) => l.op !== '+').length, before.split('\n').length);
    assert.equal(diff.filter((l) => l.op !== '-').length, after.split('\n').length);
  });

  it('a replaced line shows removed then added; identical texts are unchanged', () => {
    assert.equal(render('a\nb\nc', 'a\nx\nc'), ' a|-b|+x| c');
    assert.equal(unchanged(lineDiff('a\nb', 'a\nb')), true);
    // Near miss: a trailing space is a change.
    assert.equal(unchanged(lineDiff('a\nb', 'a\nb ')), false);
  });

  it('handles everything removed or everything added', () => {
    assert.equal(render('a\nb', ''), '-a|-b|+');
    assert.equal(render('', 'a'), '-|+a');
  });
});
