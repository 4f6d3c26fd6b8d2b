// The one audit verifier (docs/audit.md#verify): records + signed manifests + signed checkpoints, for
// every place the trail lives — the database, an NDJSON export, the WORM directory, a SIEM export
// (copies.ts reads each into the same records). Findings name seq and batch numbers only, never
// event content. siem/verify/viworks-audit-verify.mjs repeats this logic for auditors; the two must
// agree (standalone-verifier.test.ts), so a change here is a change there.
//
// What proves what:
// - Each record's chain hash (when the copy carries it) localizes an edit to one event, and the
//   prev_hash links show deleted, reordered and inserted events.
// - Each signed manifest's Merkle root, count and chain head pin its batch: a consistent rewrite
//   of the chain still fails there.
// - prev_manifest links the manifests; signatures by a known key make them trustworthy.
// - The newest manifest and checkpoint known (from this copy or another source) say how far the copy
//   must reach: a copy cut short is truncated, not merely "shorter".
import { createHash } from 'node:crypto';
import { canonicalJson, GENESIS_HASH } from '../../../core/audit/chain.js';
import {
  type BatchManifest,
  FIRST_PREV_MANIFEST,
  manifestDigest,
  manifestRangeConsistent,
  manifestSignedBytes,
  parseManifestText,
} from '../../../core/audit/manifest.js';
import { leafHash, merkleRoot } from '../../../core/audit/merkle.js';
import { type CheckpointLine, checkCheckpointSignature, type TrustedKey } from './checkpoints.js';
import { verifyAuditSignature } from './signer.js';

export type CopySource = 'database' | 'ndjson' | 'worm' | 'siem';

export type FindingKind =
  | 'record_unreadable'
  | 'event_edited'
  | 'event_missing'
  | 'event_out_of_order'
  | 'event_inserted'
  | 'chain_broken'
  | 'batch_mismatch'
  | 'manifest_invalid'
  | 'manifest_bad_signature'
  | 'manifest_unknown_key'
  | 'manifest_chain_broken'
  | 'manifest_missing'
  | 'truncated'
  | 'checkpoint_invalid'
  | 'checkpoint_bad_signature'
  | 'checkpoint_unknown_key'
  | 'checkpoint_mismatch'
  | 'copies_differ';

export interface Finding {
  readonly kind: FindingKind;
  readonly batch?: number;
  readonly seq?: number;
  /** The end of a range (event_missing, manifest_missing) or the last seq expected (truncated). */
  readonly last?: number;
  /** A human sentence naming numbers only. */
  readonly message: string;
}

/** One event as a copy holds it. prevHash/hash are null when the copy does not carry the chain. */
export interface CopyRecord {
  readonly seq: number;
  readonly event: unknown;
  readonly prevHash: string | null;
  readonly hash: string | null;
  /** WORM copy: the batch file the record was read from. */
  readonly file?: number;
}

/** A line or row that is not a record; `where` is e.g. "line 12" or "batch 3 line 4". */
export interface UnreadableRecord {
  readonly unreadable: string;
}

export type CopyItem = CopyRecord | UnreadableRecord;

/** A manifest as a source stores it, with the batch number the source files it under. */
export interface ManifestSource {
  readonly batch: number;
  readonly text: string;
}

export interface CopyInput {
  readonly source: CopySource;
  /** Where the copy is (a path, or the database's safe location); shown, never parsed. */
  readonly location: string;
  /** The records in the copy's own order. */
  readonly items: AsyncIterable<CopyItem> | Iterable<CopyItem>;
  /** The copy's order is meaningful (files written in seq order), so a record out of place is a finding. */
  readonly orderMatters: boolean;
  readonly manifests: readonly ManifestSource[];
  /** The manifests may begin after batch 1 (the WORM copy's oldest batches expire by retention). */
  readonly mayStartLate: boolean;
  /** WORM copy: the batch files present (a batch file without manifest is a finding). */
  readonly batchFiles?: readonly number[];
  readonly checkpoints: readonly CheckpointLine[];
  /**
   * A signed manifest (of another source) or checkpoint requires the copy to reach its last seq only
   * once it is this many seconds old: 0 for copies written as events happen, more for copies that
   * lag (the WORM copy behind checkpoints, a SIEM behind everything).
   */
  readonly manifestGraceS: number;
  readonly checkpointGraceS: number;
  readonly keys: readonly TrustedKey[];
  /** How far another source says the copy must reach (e.g. the database's last archived batch). */
  readonly expectedEnd?: { readonly seq: number; readonly what: string } | null;
  readonly now: Date;
}

export interface CopyReport {
  readonly source: CopySource;
  readonly location: string;
  readonly ok: boolean;
  /** Distinct events read. */
  readonly events: number;
  readonly last_seq: number | null;
  /** Batches whose manifest verified, and the first and last of them. */
  readonly batches: {
    readonly verified: number;
    readonly first: number | null;
    readonly last: number | null;
  };
  readonly checkpoints: number;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
}

/** Findings listed per copy; the rest are counted in a note (ok stays false). */
export const MAX_FINDINGS = 1000;
/** How far apart two events may be for "each holds the other's content" to be checked. */
const SWAP_WINDOW = 64;

const sha256hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const about = (kind: FindingKind, seq: number, message: string): Finding => ({ kind, seq, message });
const ofBatch = (kind: FindingKind, batch: number, message: string): Finding => ({ kind, batch, message });

/** The verifier's compact view of a record: hashes, not content (content only for failed ones). */
interface Rec {
  readonly seq: number;
  /** The leaf hash's bytes as a latin1 string. */
  readonly leaf: string;
  readonly prev: string | null;
  readonly hash: string | null;
  /** chainHash(prev, event) === hash; null without chain hashes. */
  readonly selfOk: boolean | null;
  /** The canonical event, kept only when selfOk is false (for the swap check). */
  readonly text: string | null;
  readonly file: number | null;
}

function compact(r: CopyRecord): Rec {
  const text = canonicalJson(r.event);
  // canonicalJson({seq, event}) without serializing the event twice: "event" sorts before "seq".
  // The 32 hash bytes as a one-byte string: a third of a Buffer's memory, for millions of records.
  const leaf = leafHash(Buffer.from(`{"event":${text},"seq":${r.seq}}`, 'utf8')).toString('latin1');
  const selfOk = r.prevHash !== null && r.hash !== null ? sha256hex(r.prevHash + text) === r.hash : null;
  return {
    seq: r.seq,
    leaf,
    prev: r.prevHash,
    hash: r.hash,
    selfOk,
    text: selfOk === false ? text : null,
    file: r.file ?? null,
  };
}

const sameRec = (a: Rec, b: Rec) => a.leaf === b.leaf && a.prev === b.prev && a.hash === b.hash;

class FindingList {
  readonly list: Finding[] = [];
  /** Seqs an event-level finding names (edited, reordered, inserted): they explain links near them. */
  readonly flagged = new Set<number>();
  /** Seq ranges event-level findings account for: a batch overlapping one is explained. */
  private readonly ranges: [number, number][] = [];
  private readonly keys = new Set<string>();
  dropped = 0;

  add(f: Finding, involve: readonly [number, number][] = [], flag = false): void {
    // One finding per kind and number; findings without numbers (unreadable lines) by their text.
    const key = `${f.kind}:${f.batch ?? ''}:${f.seq ?? ''}:${f.batch === undefined && f.seq === undefined ? f.message : ''}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.ranges.push(...involve);
    if (flag && f.seq !== undefined) this.flagged.add(f.seq);
    if (this.list.length < MAX_FINDINGS) this.list.push(f);
    else this.dropped++;
  }

  explains(first: number, last: number): boolean {
    return this.ranges.some(([a, b]) => a <= last && b >= first);
  }
}

const range = (a: number, b: number, what = 'event') => (a === b ? `${what} ${a}` : `${what}s ${a}..${b}`);

/** Indexes of `seqs` that are not on one longest strictly increasing subsequence (patience sort). */
export function outOfPlace(seqs: readonly number[]): number[] {
  const tails: number[] = [];
  const back = new Int32Array(seqs.length);
  for (let i = 0; i < seqs.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[tails[mid]!]! < seqs[i]!) lo = mid + 1;
      else hi = mid;
    }
    back[i] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = i;
  }
  const keep = new Uint8Array(seqs.length);
  for (let i = tails.length > 0 ? tails[tails.length - 1]! : -1; i >= 0; i = back[i]!) keep[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < seqs.length; i++) if (!keep[i]) out.push(i);
  return out;
}

interface Loaded {
  /** The record taken for each seq. */
  readonly bySeq: Map<number, Rec>;
  readonly seqs: number[];
  /** Records read twice with the same content (a SIEM may hold an event twice): ignored. */
  readonly identicalDuplicates: number;
}

/** Reads the copy: unreadable items, copy-order, and duplicate seqs are found here. */
async function load(input: CopyInput, f: FindingList): Promise<Loaded> {
  const groups = new Map<number, Rec[]>();
  const firstOrder: number[] = [];
  let identical = 0;
  for await (const item of input.items) {
    if ('unreadable' in item) {
      f.add({ kind: 'record_unreadable', message: `${item.unreadable}: not a readable audit record` });
      continue;
    }
    const rec = compact(item);
    const group = groups.get(rec.seq);
    if (group) {
      if (group.some((g) => sameRec(g, rec))) identical++;
      else group.push(rec);
      continue;
    }
    groups.set(rec.seq, [rec]);
    firstOrder.push(rec.seq);
  }
  if (input.orderMatters) {
    for (const i of outOfPlace(firstOrder)) {
      const seq = firstOrder[i]!;
      const after = i > 0 ? firstOrder[i - 1]! : 0;
      f.add(
        {
          kind: 'event_out_of_order',
          seq,
          message: `event ${seq}: out of order (${after ? `found after event ${after}` : 'found first'})`,
        },
        [[seq, seq]],
        true,
      );
    }
  }
  const bySeq = new Map<number, Rec>();
  for (const [seq, group] of groups) bySeq.set(seq, group[0]!);
  for (const [seq, group] of groups) {
    if (group.length === 1) continue;
    const pred = bySeq.get(seq - 1);
    const succ = bySeq.get(seq + 1);
    const score = (r: Rec) =>
      (r.selfOk === true ? 1 : 0) +
      (pred?.hash != null && r.prev === pred.hash ? 1 : 0) +
      (succ?.prev != null && succ.prev === r.hash ? 1 : 0);
    let best = group[0]!;
    for (const r of group) if (score(r) > score(best)) best = r;
    bySeq.set(seq, best);
    f.add(
      {
        kind: 'event_inserted',
        seq,
        message: `event ${seq}: inserted (another, different record claims this seq)`,
      },
      [[seq, seq]],
      true,
    );
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  return { bySeq, seqs, identicalDuplicates: identical };
}

/** Edits, reorders, insertions and broken links, from the chain hashes the records carry. */
function checkChain(l: Loaded, anchors: ReadonlyMap<number, string>, f: FindingList): void {
  const { bySeq, seqs } = l;
  const ownerOf = new Map<string, number>();
  const successors = new Set<string>();
  for (const s of seqs) {
    const r = bySeq.get(s)!;
    if (r.hash) ownerOf.set(r.hash, s);
    if (r.prev) successors.add(r.prev);
  }
  const flagged = f.flagged;
  // (a) A record whose chain predecessor carries a seq at or after its own sits out of order.
  for (const s of seqs) {
    const r = bySeq.get(s)!;
    if (r.selfOk !== true || r.prev === null) continue;
    const p = ownerOf.get(r.prev);
    if (p !== undefined && p >= s) {
      f.add(
        about('event_out_of_order', s, `event ${s}: out of order (it follows event ${p} in the chain)`),
        [[s, s]],
        true,
      );
    }
  }
  // (b) Events swapped between seqs while each row kept its hashes: each matches the other's slot.
  // Only failed records within SWAP_WINDOW of each other are paired (bad is in seq order).
  const bad = seqs.filter((s) => bySeq.get(s)!.selfOk === false);
  let lo = 0;
  for (let i = 0; i < bad.length; i++) {
    const r = bySeq.get(bad[i]!)!;
    while (bad[lo]! < r.seq - SWAP_WINDOW) lo++;
    for (let j = lo; j < bad.length && bad[j]! <= r.seq + SWAP_WINDOW; j++) {
      const t = bySeq.get(bad[j]!)!;
      if (j === i || t.prev === null || sha256hex(t.prev + r.text) !== t.hash) continue;
      f.add(
        about(
          'event_out_of_order',
          r.seq,
          `event ${r.seq}: out of order (it holds event ${t.seq}'s content)`,
        ),
        [[r.seq, r.seq]],
        true,
      );
      break;
    }
  }
  // (c) A record its neighbours link around — and that nothing follows — was inserted.
  for (const s of seqs) {
    if (flagged.has(s)) continue;
    const r = bySeq.get(s)!;
    const p = bySeq.get(s - 1);
    const n = bySeq.get(s + 1);
    if (p?.hash && n?.prev === p.hash && !(r.hash && successors.has(r.hash))) {
      f.add(
        about('event_inserted', s, `event ${s}: inserted (events ${s - 1} and ${s + 1} link around it)`),
        [[s, s]],
        true,
      );
    }
  }
  // (d) A record that does not match its own chain hash was edited.
  for (const s of bad) {
    if (flagged.has(s)) continue;
    f.add(
      about('event_edited', s, `event ${s}: edited (it no longer matches its chain hash)`),
      [[s, s]],
      true,
    );
  }
  // (e) Whatever link is still broken, and not explained by the above.
  for (const s of seqs) {
    const r = bySeq.get(s)!;
    if (r.prev === null || flagged.has(s)) continue;
    const p = bySeq.get(s - 1);
    const expected = s === 1 ? GENESIS_HASH : p ? p.hash : anchors.get(s - 1);
    if (expected == null || r.prev === expected) continue;
    if (flagged.has(s - 1)) continue;
    const owner = ownerOf.get(r.prev);
    if (owner !== undefined && flagged.has(owner)) continue;
    f.add(
      about(
        'chain_broken',
        s,
        s === 1 || !p
          ? `event ${s}: does not continue the signed chain before it`
          : `event ${s}: does not link to event ${s - 1} (an event between them was removed, or event ${s - 1} rewritten)`,
      ),
    );
  }
}

interface TrustedManifests {
  readonly trusted: BatchManifest[];
  readonly first: number | null;
}

/** Signatures, the prev_manifest chain, and gaps between manifests. */
function checkManifests(input: CopyInput, f: FindingList, notes: string[]): TrustedManifests {
  const parsed = new Map<number, BatchManifest>();
  for (const src of [...input.manifests].sort((a, b) => a.batch - b.batch)) {
    let m: BatchManifest;
    try {
      m = parseManifestText(src.text);
    } catch {
      f.add(ofBatch('manifest_invalid', src.batch, `batch ${src.batch}: manifest unreadable`));
      continue;
    }
    if (m.batch !== src.batch) {
      f.add(ofBatch('manifest_invalid', src.batch, `batch ${src.batch}: manifest names batch ${m.batch}`));
      continue;
    }
    const prior = parsed.get(m.batch);
    if (prior && manifestDigest(prior) !== manifestDigest(m)) {
      f.add(ofBatch('copies_differ', m.batch, `batch ${m.batch}: two different manifests`));
      continue;
    }
    parsed.set(m.batch, m);
  }
  const trusted: BatchManifest[] = [];
  for (const m of parsed.values()) {
    const key = input.keys.find((k) => k.keyId === m.key_id);
    if (!key) {
      f.add(
        ofBatch(
          'manifest_unknown_key',
          m.batch,
          `batch ${m.batch}: manifest signed by an unknown key (${m.key_id.slice(0, 16)}…)`,
        ),
      );
      continue;
    }
    const sig = Buffer.from(m.sig, 'base64');
    if (
      key.algorithm !== m.alg ||
      !verifyAuditSignature(m.alg, key.publicKeyPem, manifestSignedBytes(m), sig)
    ) {
      f.add(ofBatch('manifest_bad_signature', m.batch, `batch ${m.batch}: manifest signature invalid`));
      continue;
    }
    if (!manifestRangeConsistent(m)) {
      f.add(ofBatch('batch_mismatch', m.batch, `batch ${m.batch}: count does not match its range`));
      continue;
    }
    trusted.push(m);
  }
  const present = new Set(parsed.keys());
  const files = input.batchFiles ? new Set(input.batchFiles) : null;
  // Retention removes the oldest batch files and manifests (rarely a manifest outlives its file by
  // a moment): with mayStartLate, the copy starts at the first batch that still has both.
  let start = 0;
  while (input.mayStartLate && files && start < trusted.length && !files.has(trusted[start]!.batch)) start++;
  const kept = trusted.slice(start);
  const first = kept[0]?.batch ?? null;
  if (first !== null && first > 1) {
    if (input.mayStartLate)
      notes.push(`starts at batch ${first} (earlier batches were removed by retention)`);
    else {
      const gap = [];
      for (let b = 1; b < first; b++) if (!present.has(b)) gap.push(b);
      if (gap.length > 0) missingManifests(gap, f);
    }
  }
  for (let i = 0; i < kept.length; i++) {
    const m = kept[i]!;
    const pm = kept[i - 1];
    if (!pm) {
      if (m.batch === 1 && m.prev_manifest !== FIRST_PREV_MANIFEST)
        f.add(ofBatch('manifest_chain_broken', 1, 'batch 1: prev_manifest is not the genesis value'));
      continue;
    }
    if (pm.batch === m.batch - 1) {
      if (m.prev_manifest !== manifestDigest(pm))
        f.add(
          ofBatch(
            'manifest_chain_broken',
            m.batch,
            `batch ${m.batch}: prev_manifest does not match batch ${pm.batch}`,
          ),
        );
      if (m.first_seq !== pm.last_seq + 1)
        f.add(
          ofBatch('batch_mismatch', m.batch, `batch ${m.batch}: range does not follow batch ${pm.batch}`),
        );
      continue;
    }
    const gap = [];
    for (let b = pm.batch + 1; b < m.batch; b++) if (!present.has(b)) gap.push(b);
    if (gap.length > 0) missingManifests(gap, f);
  }
  if (files) {
    const firstKept = first ?? Number.POSITIVE_INFINITY;
    for (const b of [...files].sort((x, y) => x - y))
      if (!present.has(b) && !(input.mayStartLate && b < firstKept))
        f.add(ofBatch('manifest_missing', b, `batch ${b}: batch file without manifest`));
  }
  return { trusted: kept, first };
}

function missingManifests(batches: number[], f: FindingList): void {
  let a = batches[0]!;
  for (let i = 1; i <= batches.length; i++) {
    const prev = batches[i - 1]!;
    if (i < batches.length && batches[i] === prev + 1) continue;
    f.add({
      kind: 'manifest_missing',
      batch: a,
      last: prev,
      message: `${range(a, prev, 'batch')}: manifest missing`,
    });
    a = batches[i]!;
  }
}

/** Each trusted batch's root, chain head and (WORM) file contents against the records. */
function checkBatches(l: Loaded, trusted: readonly BatchManifest[], f: FindingList): number {
  let verified = 0;
  const inRange = (seq: number, m: BatchManifest) => seq >= m.first_seq && seq <= m.last_seq;
  const byBatch = new Map(trusted.map((m) => [m.batch, m]));
  for (const s of l.seqs) {
    const r = l.bySeq.get(s)!;
    const m = r.file === null ? undefined : byBatch.get(r.file);
    if (m && !inRange(s, m))
      f.add(
        ofBatch(
          'batch_mismatch',
          m.batch,
          `batch ${m.batch}: its file holds event ${s}, outside ${m.first_seq}..${m.last_seq}`,
        ),
        [[s, s]],
      );
  }
  for (const m of trusted) {
    verified++;
    const leaves: Buffer[] = [];
    for (let s = m.first_seq; s <= m.last_seq; s++) {
      const r = l.bySeq.get(s);
      if (!r) break;
      leaves.push(Buffer.from(r.leaf, 'latin1'));
    }
    if (leaves.length < m.count) continue; // missing events or truncation explain it
    if (f.explains(m.first_seq, m.last_seq)) continue;
    if (merkleRoot(leaves).toString('hex') !== m.root)
      f.add(
        ofBatch(
          'batch_mismatch',
          m.batch,
          `batch ${m.batch}: root does not match its manifest (events ${m.first_seq}..${m.last_seq})`,
        ),
      );
    else {
      const head = l.bySeq.get(m.last_seq)!.hash;
      if (head !== null && head !== m.chain_head)
        f.add(ofBatch('batch_mismatch', m.batch, `batch ${m.batch}: chain head does not match its manifest`));
    }
  }
  return verified;
}

interface CheckpointResult {
  readonly count: number;
  /** The newest checkpoint old enough to bind the copy's tail. */
  readonly binding: number;
}

function checkCheckpoints(input: CopyInput, l: Loaded, f: FindingList, startSeq: number): CheckpointResult {
  let count = 0;
  let binding = 0;
  for (const line of input.checkpoints) {
    const cp = line.checkpoint;
    if (!cp) {
      f.add({ kind: 'checkpoint_invalid', message: `checkpoint line ${line.line}: unreadable` });
      continue;
    }
    const verdict = checkCheckpointSignature(cp, input.keys);
    if (verdict === 'unknown-key') {
      f.add(about('checkpoint_unknown_key', cp.seq, `checkpoint at ${cp.seq}: signed by an unknown key`));
      continue;
    }
    if (verdict === 'invalid') {
      f.add(about('checkpoint_bad_signature', cp.seq, `checkpoint at ${cp.seq}: bad signature`));
      continue;
    }
    count++;
    if (input.now.getTime() - Date.parse(cp.at) >= input.checkpointGraceS * 1000)
      binding = Math.max(binding, cp.seq);
    if (cp.seq < startSeq) continue;
    const r = l.bySeq.get(cp.seq);
    if (r?.hash != null && r.hash !== cp.hash)
      f.add(
        about(
          'checkpoint_mismatch',
          cp.seq,
          `checkpoint at ${cp.seq}: event no longer matches the signed hash`,
        ),
      );
  }
  return { count, binding };
}

/** Gaps between the first seq the copy must start at and its last record. */
function checkGaps(l: Loaded, startSeq: number, f: FindingList): void {
  let expected = startSeq;
  for (const s of l.seqs) {
    if (s < expected) continue;
    if (s > expected)
      f.add(
        { kind: 'event_missing', seq: expected, last: s - 1, message: `${range(expected, s - 1)}: missing` },
        [[expected, s - 1]],
      );
    expected = s + 1;
  }
}

/** Verifies one copy. Never throws on bad content: every problem becomes a finding. */
export async function verifyCopy(input: CopyInput): Promise<CopyReport> {
  const f = new FindingList();
  const notes: string[] = [];
  const l = await load(input, f);
  const { trusted, first } = checkManifests(input, f, notes);
  const anchors = new Map(trusted.map((m) => [m.last_seq, m.chain_head]));
  const firstManifest = trusted[0];
  // Where the copy must begin: seq 1, unless retention may have removed its oldest batches.
  let startSeq = 1;
  if (input.mayStartLate && first !== null && first > 1)
    startSeq = Math.min(firstManifest!.first_seq, l.seqs[0] ?? firstManifest!.first_seq);
  else if (input.mayStartLate && first === null) startSeq = l.seqs[0] ?? 1;
  checkGaps(l, startSeq, f);
  if (l.seqs.some((s) => l.bySeq.get(s)!.prev !== null)) checkChain(l, anchors, f);
  else if (l.seqs.length > 0)
    notes.push('the copy carries no chain hashes: an edit is found per batch, not per event');
  const cps = checkCheckpoints(input, l, f, startSeq);
  const verified = checkBatches(l, trusted, f);
  const lastSeq = l.seqs[l.seqs.length - 1] ?? null;
  const lastManifest = trusted[trusted.length - 1];
  const ends: { seq: number; what: string }[] = [];
  const old = (at: string, graceS: number) => input.now.getTime() - Date.parse(at) >= graceS * 1000;
  const bindingManifest = trusted.filter((m) => old(m.sealed_at, input.manifestGraceS)).pop();
  if (bindingManifest)
    ends.push({ seq: bindingManifest.last_seq, what: `signed batch ${bindingManifest.batch}` });
  if (cps.binding > 0) ends.push({ seq: cps.binding, what: `a signed checkpoint` });
  if (input.expectedEnd) ends.push(input.expectedEnd);
  const end = ends.reduce<{ seq: number; what: string } | null>(
    (a, b) => (a && a.seq >= b.seq ? a : b),
    null,
  );
  if (end && (lastSeq ?? 0) < end.seq)
    f.add({
      kind: 'truncated',
      seq: lastSeq ?? 0,
      last: end.seq,
      message: `the copy ends at event ${lastSeq ?? 0}, but ${end.what} shows events up to ${end.seq}`,
    });
  if (lastManifest && lastSeq !== null && lastSeq > lastManifest.last_seq)
    notes.push(
      `${lastSeq - lastManifest.last_seq} events after batch ${lastManifest.batch} are not sealed yet (checked by the hash chain only)`,
    );
  if (firstManifest && l.seqs.length > 0 && l.seqs[0]! < firstManifest.first_seq)
    notes.push(
      `events before ${firstManifest.first_seq} are not covered by a manifest present (checked by the hash chain only)`,
    );
  if (l.identicalDuplicates > 0)
    notes.push(`${l.identicalDuplicates} identical duplicate records ignored (delivered twice)`);
  if (f.dropped > 0) notes.push(`${f.dropped} more findings not listed`);
  return {
    source: input.source,
    location: input.location,
    ok: f.list.length === 0,
    events: l.seqs.length,
    last_seq: lastSeq,
    batches: { verified, first: trusted[0]?.batch ?? null, last: lastManifest?.batch ?? null },
    checkpoints: cps.count,
    findings: f.list,
    notes,
  };
}
