// The preview of an edit before it is saved: a line diff of the current version's pretty JSON and
// the edited text. The API's diff (GET /admin/policies/:name/diff) compares saved versions only,
// and saving a relaxation already files it for approval — so the preview is computed here.
export type DiffLine = { readonly op: ' ' | '-' | '+'; readonly text: string };

/** Longest-common-subsequence line diff; every line of both texts appears once, in order. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // common[i][j]: length of the LCS of a[i..] and b[j..]
  const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      common[i]![j] =
        a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i++]! });
      j++;
    } else if (common[i + 1]![j]! >= common[i]![j + 1]!) out.push({ op: '-', text: a[i++]! });
    else out.push({ op: '+', text: b[j++]! });
  }
  while (i < a.length) out.push({ op: '-', text: a[i++]! });
  while (j < b.length) out.push({ op: '+', text: b[j++]! });
  return out;
}

/** True when the edit changes nothing (saving it would be refused as a conflict). */
export function unchanged(diff: readonly DiffLine[]): boolean {
  return diff.every((l) => l.op === ' ');
}

/** The document as the editor shows it and the preview compares it. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
