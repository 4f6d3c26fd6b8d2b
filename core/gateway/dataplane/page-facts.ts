// A page of one daemon's log (what `pull_logs <source> … <cursor>` answers, or what the node's own
// normalizer read) → its facts in order, each fwknopd fact with the device its `stanza #N` names
// when the node could name it (DataplanePullResult.stanzas: only for the lines fwknopd read with the
// access.conf on disk now). A page that reached the end of the file flushes what the parser held
// back waiting for a line that may never come.
import type { DataplanePullResult } from './cursor.js';
import { type DataplaneFact, type DataplaneParser, dataplaneFact, type LineContext } from './types.js';

/** A fact and the device (`d-…`, its SPA key id) behind its fwknopd stanza, if known. */
export interface ResolvedFact {
  readonly fact: DataplaneFact;
  readonly fwknopId: string | null;
}

export type DataplanePage = Pick<DataplanePullResult, 'lines' | 'eof' | 'stanzas'>;

export function factsOfPage(parser: DataplaneParser, page: DataplanePage): ResolvedFact[] {
  const out: ResolvedFact[] = [];
  const st = page.stanzas;
  const contextAt = (i: number): LineContext => ({
    stanzaCount: st && i >= st.from_line ? st.count : null,
  });
  const push = (facts: DataplaneFact[], i: number) => {
    for (const f of facts) {
      if (!dataplaneFact.check(f)) continue;
      const named =
        st && i >= st.from_line && f.stanza !== null ? (st.users[String(f.stanza)] ?? null) : null;
      out.push({ fact: f, fwknopId: named });
    }
  };
  for (const [i, line] of page.lines.entries()) push(parser.parse(line, contextAt(i)), i);
  if (page.eof) push(parser.flush(contextAt(page.lines.length - 1)), page.lines.length - 1);
  return out;
}
