// The diff an approver reads: canonical pretty JSON (sorted keys at every level) compared line by
// line, printed as unified hunks exactly as `diff -u` prints them (without the file header times).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalPretty, documentDiff, lineDiff } from './admin-diff.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe('policy diffs', () => {
  it('prints hunks as diff -u does: three lines of context, nearby changes merged', () => {
    const a = lines(30);
    const b = [...a];
    b[0] = 'changed 0';
    b.splice(15, 1);
    b.push('added end');
    b.splice(8, 0, 'ins 8');
    // `diff -u a b | tail -n +3` of the same two files:
    const expected = [
      '--- a',
      '+++ b',
      '@@ -1,4 +1,4 @@',
      '-line 0',
      '+changed 0',
      ...[1, 2, 3].map((i) => ` line ${i}`),
      '@@ -6,6 +6,7 @@',
      ...[5, 6, 7].map((i) => ` line ${i}`),
      '+ins 8',
      ...[8, 9, 10].map((i) => ` line ${i}`),
      '@@ -13,7 +14,6 @@',
      ...[12, 13, 14].map((i) => ` line ${i}`),
      '-line 15',
      ...[16, 17, 18].map((i) => ` line ${i}`),
      '@@ -28,3 +28,4 @@',
      ...[27, 28, 29].map((i) => ` line ${i}`),
      '+added end',
    ];
    assert.equal(lineDiff(a.join('\n'), b.join('\n'), { from: 'a', to: 'b' }), expected.join('\n'));
    assert.equal(lineDiff('same', 'same', { from: 'a', to: 'b' }), '');
    assert.equal(lineDiff('', 'x', { from: 'a', to: 'b' }), '--- a\n+++ b\n@@ -1,1 +1,1 @@\n-\n+x');
  });

  it('compares documents by content, not by key order', () => {
    assert.equal(
      canonicalPretty({ b: 1, a: { d: [2], c: null } }),
      '{\n  "a": {\n    "c": null,\n    "d": [\n      2\n    ]\n  },\n  "b": 1\n}',
    );
    assert.equal(documentDiff({ a: 1, b: 2 }, { b: 2, a: 1 }, { from: 'x', to: 'y' }), '');
    assert.equal(
      documentDiff(
        { routes: ['10.0.0.0/8'] },
        { routes: ['10.0.0.0/8', '172.16.0.0/12'] },
        { from: 'v1', to: 'v2' },
      ),
      [
        '--- v1',
        '+++ v2',
        '@@ -1,5 +1,6 @@',
        ' {',
        '   "routes": [',
        '-    "10.0.0.0/8"',
        '+    "10.0.0.0/8",',
        '+    "172.16.0.0/12"',
        '   ]',
        ' }',
      ].join('\n'),
    );
  });
});
