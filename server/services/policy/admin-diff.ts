// The diff an approver reads (issue #14, dual approval) and `viworks admin policies diff` prints:
// both documents as canonical pretty JSON (keys sorted at every level, two-space indent, one value
// per line), compared line by line (longest common subsequence), shown as unified hunks with three
// lines of context. Pure.
import { canonicalJson } from '../../../core/audit/chain.js';

/** Sorted keys at every level, two-space indent: the same document always prints the same. */
export function canonicalPretty(value: unknown): string {
  return JSON.stringify(JSON.parse(canonicalJson(value)), null, 2);
}

type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string; readonly a: number; readonly b: number };

/** Every line of `a` and `b` in order, marked kept, removed or added (an LCS alignment). */
function align(a: readonly string[], b: readonly string[]): Op[] {
  // Common head and tail first: most edits touch a few lines of a long document.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // lcs[i][j] = length of the LCS of x[i..] and y[j..], in one flat array.
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const ops: Op[] = [];
  for (let k = 0; k < head; k++) ops.push({ kind: ' ', line: a[k]!, a: k, b: k });
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      ops.push({ kind: ' ', line: x[i]!, a: head + i++, b: head + j++ });
    } else if (i < x.length && (j === y.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
      // Removals before additions, as diff(1) prints them.
      ops.push({ kind: '-', line: x[i]!, a: head + i++, b: head + j });
    } else {
      ops.push({ kind: '+', line: y[j]!, a: head + i, b: head + j++ });
    }
  }
  for (let k = 0; k < tail; k++) {
    const ai = a.length - tail + k;
    ops.push({ kind: ' ', line: a[ai]!, a: ai, b: b.length - tail + k });
  }
  return ops;
}

const CONTEXT = 3;

/** Unified diff of two texts: `--- from` / `+++ to` and `@@` hunks; empty when they are equal. */
export function lineDiff(before: string, after: string, labels: { from: string; to: string }): string {
  if (before === after) return '';
  const ops = align(before.split('\n'), after.split('\n'));
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that
    // lies within 2 × CONTEXT unchanged lines of the previous one.
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    let quiet = 0;
    for (let m = k; m < ops.length; m++) {
      if (ops[m]!.kind === ' ') {
        if (++quiet > 2 * CONTEXT) break;
      } else {
        quiet = 0;
        end = m;
      }
    }
    const stop = Math.min(ops.length, end + CONTEXT + 1);
    const hunk = ops.slice(start, stop);
    const aLines = hunk.filter((o) => o.kind !== '+').length;
    const bLines = hunk.filter((o) => o.kind !== '-').length;
    const first = hunk[0]!;
    out.push(
      `@@ -${first.a + (aLines > 0 ? 1 : 0)},${aLines} +${first.b + (bLines > 0 ? 1 : 0)},${bLines} @@`,
    );
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    k = stop;
  }
  return out.join('\n');
}

/** The diff of two policy documents (or any JSON values) as canonical pretty JSON. */
export function documentDiff(before: unknown, after: unknown, labels: { from: string; to: string }): string {
  return lineDiff(canonicalPretty(before), canonicalPretty(after), labels);
}
