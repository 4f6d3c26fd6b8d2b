#!/usr/bin/env node
// viworks-audit-verify — checks a copy of the ViWorkS audit trail without the ViWorkS backend, its
// database or its packages: one file, Node.js 18 or later, built-in modules only.
//
//   node viworks-audit-verify.mjs --key audit-signing.pub.pem --worm DIR [--checkpoints FILE] [--json]
//   node viworks-audit-verify.mjs --key audit-signing.pub.pem --ndjson FILE --manifests DIR [--checkpoints FILE] [--json]
//
// --worm DIR       the WORM copy: DIR/batches/<12 digits>.ndjson and DIR/manifests/<12 digits>.json
// --ndjson FILE    flat NDJSON lines {seq, ...event, prev_hash, hash} (audit.ndjson, a native SIEM export)
// --manifests DIR  the signed batch manifests (<12 digits>.json) to check FILE against
// --key PEM        the audit public key (SPKI PEM, Ed25519 or ECDSA P-256); repeat for several keys
// --checkpoints F  signed chain checkpoints (checkpoints.ndjson): show edits and a copy cut short
// --lag-grace S    a checkpoint binds the WORM copy's end once S seconds old (default 3600)
//
// Exit 0: intact. 1: findings (each names seq and batch numbers only). 2: could not read the input.
// 64: usage.
//
// It re-implements on purpose — an auditor should not have to trust the software under audit — the
// definitions the backend uses (core/audit/chain.ts, merkle.ts, manifest.ts) and the verifier's
// rules (server/services/audit/verify.ts); the backend's tests run this file against data the
// backend produced and require the same findings.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const GENESIS_HASH = '0'.repeat(64);
const FIRST_PREV_MANIFEST = '0'.repeat(64);
const MANIFEST_PREFIX = 'viworks-audit-manifest-v1\n';
const MAX_MANIFEST_BYTES = 4096;
const MAX_LINE_BYTES = 64 * 1024;
const MAX_CHECKPOINT_LINE = 1024;
const MAX_FINDINGS = 1000;
const SWAP_WINDOW = 64;
const HEX64 = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const ALGS = ['ed25519', 'ecdsa-p256-sha256'];

// ---------------------------------------------------------------------------------------------
// Definitions: canonical JSON, the RFC 6962 tree, manifests, checkpoints, keys.

/** JSON with object keys sorted at every level (code-unit order), undefined members dropped. */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const leafHash = (data) => createHash('sha256').update(Buffer.of(0)).update(data).digest();
const nodeHash = (l, r) => createHash('sha256').update(Buffer.of(1)).update(l).update(r).digest();

/** RFC 6962 §2.1 Merkle Tree Hash over leaf hashes: split at the largest power of two below n. */
function merkleRoot(leaves, from = 0, to = leaves.length) {
  const n = to - from;
  if (n === 0) return createHash('sha256').digest();
  if (n === 1) return leaves[from];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(merkleRoot(leaves, from, from + k), merkleRoot(leaves, from + k, to));
}

const isInt = (v, min, max) => Number.isSafeInteger(v) && v >= min && v <= max;
const isHex64 = (v) => typeof v === 'string' && HEX64.test(v);
const isTimestamp = (v) => typeof v === 'string' && TIMESTAMP.test(v);
const isSig = (v) => typeof v === 'string' && v.length >= 4 && v.length <= 200 && BASE64.test(v);
const hasExactly = (o, keys) => {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
};

const MANIFEST_KEYS = [
  'v',
  'batch',
  'first_seq',
  'last_seq',
  'count',
  'from',
  'to',
  'root',
  'chain_head',
  'prev_manifest',
  'sealed_at',
  'key_id',
  'alg',
  'sig',
];

/** The manifest, or null when it is not exactly the v1 shape. */
function parseManifestText(text) {
  if (Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES) return null;
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m) || !hasExactly(m, MANIFEST_KEYS)) return null;
  const max = Number.MAX_SAFE_INTEGER;
  const ok =
    m.v === 1 &&
    isInt(m.batch, 1, 2147483647) &&
    isInt(m.first_seq, 1, max) &&
    isInt(m.last_seq, 1, max) &&
    isInt(m.count, 1, max) &&
    isTimestamp(m.from) &&
    isTimestamp(m.to) &&
    isHex64(m.root) &&
    isHex64(m.chain_head) &&
    isHex64(m.prev_manifest) &&
    isTimestamp(m.sealed_at) &&
    isHex64(m.key_id) &&
    ALGS.includes(m.alg) &&
    isSig(m.sig);
  return ok ? m : null;
}

function manifestSignedBytes(m) {
  const { sig: _sig, ...unsigned } = m;
  return Buffer.from(MANIFEST_PREFIX + canonicalJson(unsigned), 'utf8');
}

const manifestDigest = (m) => sha256hex(canonicalJson(m));

/** A verification key from SPKI PEM: {keyId, algorithm, key}. */
function trustedKey(pem) {
  const key = createPublicKey(pem);
  let algorithm = null;
  if (key.asymmetricKeyType === 'ed25519') algorithm = 'ed25519';
  else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    algorithm = 'ecdsa-p256-sha256';
  if (!algorithm) throw new Error('not an Ed25519 or ECDSA P-256 public key');
  const keyId = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { keyId, algorithm, key };
}

/** Ed25519, or ECDSA P-256 over SHA-256 with an IEEE P1363 (r‖s) signature. Never throws. */
function signatureValid(algorithm, key, data, sig) {
  try {
    if (algorithm === 'ed25519') return verifySignature(null, data, key, sig);
    return verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

function parseCheckpoint(raw) {
  if (raw.length > MAX_CHECKPOINT_LINE) return null;
  let c;
  try {
    c = JSON.parse(raw);
  } catch {
    return null;
  }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
  const common =
    isInt(c.seq, 1, Number.MAX_SAFE_INTEGER) && isHex64(c.hash) && isTimestamp(c.at) && isSig(c.sig);
  if (c.v === 1 && hasExactly(c, ['v', 'seq', 'hash', 'at', 'sig']) && common) return c;
  if (
    c.v === 2 &&
    hasExactly(c, ['v', 'seq', 'hash', 'at', 'key_id', 'alg', 'sig']) &&
    common &&
    isHex64(c.key_id) &&
    ALGS.includes(c.alg)
  )
    return c;
  return null;
}

function checkpointVerdict(cp, keys) {
  const sig = Buffer.from(cp.sig, 'base64');
  if (cp.v === 1) {
    const candidates = keys.filter((k) => k.algorithm === 'ed25519');
    if (candidates.length === 0) return 'unknown-key';
    const data = Buffer.from(`viworks-audit-checkpoint-v1\n${cp.seq}\n${cp.hash}\n${cp.at}`, 'utf8');
    return candidates.some((k) => signatureValid('ed25519', k.key, data, sig)) ? 'valid' : 'invalid';
  }
  const key = keys.find((k) => k.keyId === cp.key_id);
  if (!key) return 'unknown-key';
  if (key.algorithm !== cp.alg) return 'invalid';
  const { sig: _sig, ...unsigned } = cp;
  const data = Buffer.from(`viworks-audit-checkpoint-v2\n${canonicalJson(unsigned)}`, 'utf8');
  return signatureValid(cp.alg, key.key, data, sig) ? 'valid' : 'invalid';
}

// ---------------------------------------------------------------------------------------------
// Reading copies.

/** Lines of a file, each at most maxBytes; longer ones come back as null without being buffered. */
async function* readLines(path, maxBytes = MAX_LINE_BYTES) {
  let parts = [];
  let size = 0;
  let tooLong = false;
  let line = 0;
  function* flush() {
    line++;
    const text = tooLong ? null : Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    tooLong = false;
    if (text === null || text.trim() !== '') yield { line, text };
  }
  for await (const chunk of createReadStream(path)) {
    let buf = chunk;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      if (!tooLong && size + nl <= maxBytes) parts.push(buf.subarray(0, nl));
      else tooLong = true;
      size += nl;
      yield* flush();
      buf = buf.subarray(nl + 1);
    }
    if (!tooLong && size + buf.length <= maxBytes) parts.push(buf);
    else tooLong = true;
    size += buf.length;
  }
  if (size > 0 || tooLong) yield* flush();
}

/** A flat line → {seq, event, prevHash, hash}; null when it is not one. */
function decodeLine(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const { seq, prev_hash: prevHash, hash, ...event } = doc;
  const orNull = (v) => (v === undefined || v === null ? null : isHex64(v) ? v : undefined);
  const p = orNull(prevHash);
  const h = orNull(hash);
  if (p === undefined || h === undefined || !isInt(seq, 1, Number.MAX_SAFE_INTEGER)) return null;
  return { seq, event, prevHash: p, hash: h };
}

async function* fileRecords(path, where, file) {
  for await (const { line, text } of readLines(path)) {
    const rec = text === null ? null : decodeLine(text);
    if (!rec) yield { unreadable: where(line) };
    else yield file === undefined ? rec : { ...rec, file };
  }
}

const STEM = /^(\d{12})\.(ndjson|json)$/;

function numberedFiles(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: STEM.exec(name) }))
    .filter((x) => x.m && x.m[2] === ext && Number(x.m[1]) >= 1)
    .map((x) => ({ batch: Number(x.m[1]), path: join(dir, x.name) }))
    .sort((a, b) => a.batch - b.batch);
}

function readManifestDir(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such directory`);
  return numberedFiles(dir, 'json').map(({ batch, path }) => ({
    batch,
    text:
      statSync(path).size > MAX_MANIFEST_BYTES
        ? ' '.repeat(MAX_MANIFEST_BYTES + 1)
        : readFileSync(path, 'utf8'),
  }));
}

// ---------------------------------------------------------------------------------------------
// The verifier (the rules of server/services/audit/verify.ts, in the same order).

class FindingList {
  list = [];
  flagged = new Set();
  ranges = [];
  keys = new Set();
  dropped = 0;

  add(f, involve = [], flag = false) {
    // One finding per kind and number; findings without numbers (unreadable lines) by their text.
    const key = `${f.kind}:${f.batch ?? ''}:${f.seq ?? ''}:${f.batch === undefined && f.seq === undefined ? f.message : ''}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.ranges.push(...involve);
    if (flag && f.seq !== undefined) this.flagged.add(f.seq);
    if (this.list.length < MAX_FINDINGS) this.list.push(f);
    else this.dropped++;
  }

  explains(first, last) {
    return this.ranges.some(([a, b]) => a <= last && b >= first);
  }
}

const range = (a, b, what = 'event') => (a === b ? `${what} ${a}` : `${what}s ${a}..${b}`);

function compact(r) {
  const text = canonicalJson(r.event);
  // The 32 hash bytes as a one-byte string: a third of a Buffer's memory, for millions of records.
  const leaf = leafHash(Buffer.from(canonicalJson({ seq: r.seq, event: r.event }), 'utf8')).toString(
    'latin1',
  );
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

const sameRec = (a, b) => a.leaf === b.leaf && a.prev === b.prev && a.hash === b.hash;

/** Indexes not on one longest strictly increasing subsequence (patience sort, as the backend). */
function outOfPlace(seqs) {
  const tails = [];
  const back = new Int32Array(seqs.length);
  for (let i = 0; i < seqs.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[tails[mid]] < seqs[i]) lo = mid + 1;
      else hi = mid;
    }
    back[i] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = i;
  }
  const keep = new Uint8Array(seqs.length);
  for (let i = tails.length > 0 ? tails[tails.length - 1] : -1; i >= 0; i = back[i]) keep[i] = 1;
  const out = [];
  for (let i = 0; i < seqs.length; i++) if (!keep[i]) out.push(i);
  return out;
}

async function load(input, f) {
  const groups = new Map();
  const firstOrder = [];
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
      const seq = firstOrder[i];
      const after = i > 0 ? firstOrder[i - 1] : 0;
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
  const bySeq = new Map();
  for (const [seq, group] of groups) bySeq.set(seq, group[0]);
  for (const [seq, group] of groups) {
    if (group.length === 1) continue;
    const pred = bySeq.get(seq - 1);
    const succ = bySeq.get(seq + 1);
    const score = (r) =>
      (r.selfOk === true ? 1 : 0) +
      (pred?.hash != null && r.prev === pred.hash ? 1 : 0) +
      (succ?.prev != null && succ.prev === r.hash ? 1 : 0);
    let best = group[0];
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

function checkManifests(input, f, notes) {
  const parsed = new Map();
  for (const src of [...input.manifests].sort((a, b) => a.batch - b.batch)) {
    const m = parseManifestText(src.text);
    if (!m) {
      f.add({
        kind: 'manifest_invalid',
        batch: src.batch,
        message: `batch ${src.batch}: manifest unreadable`,
      });
      continue;
    }
    if (m.batch !== src.batch) {
      f.add({
        kind: 'manifest_invalid',
        batch: src.batch,
        message: `batch ${src.batch}: manifest names batch ${m.batch}`,
      });
      continue;
    }
    const prior = parsed.get(m.batch);
    if (prior && manifestDigest(prior) !== manifestDigest(m)) {
      f.add({ kind: 'copies_differ', batch: m.batch, message: `batch ${m.batch}: two different manifests` });
      continue;
    }
    parsed.set(m.batch, m);
  }
  const trusted = [];
  for (const m of parsed.values()) {
    const key = input.keys.find((k) => k.keyId === m.key_id);
    if (!key) {
      f.add({
        kind: 'manifest_unknown_key',
        batch: m.batch,
        message: `batch ${m.batch}: manifest signed by an unknown key (${m.key_id.slice(0, 16)}…)`,
      });
      continue;
    }
    const sig = Buffer.from(m.sig, 'base64');
    if (key.algorithm !== m.alg || !signatureValid(m.alg, key.key, manifestSignedBytes(m), sig)) {
      f.add({
        kind: 'manifest_bad_signature',
        batch: m.batch,
        message: `batch ${m.batch}: manifest signature invalid`,
      });
      continue;
    }
    if (!(m.last_seq >= m.first_seq && m.count === m.last_seq - m.first_seq + 1)) {
      f.add({
        kind: 'batch_mismatch',
        batch: m.batch,
        message: `batch ${m.batch}: count does not match its range`,
      });
      continue;
    }
    trusted.push(m);
  }
  const present = new Set(parsed.keys());
  const files = input.batchFiles ? new Set(input.batchFiles) : null;
  let start = 0;
  while (input.mayStartLate && files && start < trusted.length && !files.has(trusted[start].batch)) start++;
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
    const m = kept[i];
    const pm = kept[i - 1];
    if (!pm) {
      if (m.batch === 1 && m.prev_manifest !== FIRST_PREV_MANIFEST)
        f.add({
          kind: 'manifest_chain_broken',
          batch: 1,
          message: 'batch 1: prev_manifest is not the genesis value',
        });
      continue;
    }
    if (pm.batch === m.batch - 1) {
      if (m.prev_manifest !== manifestDigest(pm))
        f.add({
          kind: 'manifest_chain_broken',
          batch: m.batch,
          message: `batch ${m.batch}: prev_manifest does not match batch ${pm.batch}`,
        });
      if (m.first_seq !== pm.last_seq + 1)
        f.add({
          kind: 'batch_mismatch',
          batch: m.batch,
          message: `batch ${m.batch}: range does not follow batch ${pm.batch}`,
        });
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
        f.add({ kind: 'manifest_missing', batch: b, message: `batch ${b}: batch file without manifest` });
  }
  return { trusted: kept, first };
}

function missingManifests(batches, f) {
  let a = batches[0];
  for (let i = 1; i <= batches.length; i++) {
    const prev = batches[i - 1];
    if (i < batches.length && batches[i] === prev + 1) continue;
    f.add({
      kind: 'manifest_missing',
      batch: a,
      last: prev,
      message: `${range(a, prev, 'batch')}: manifest missing`,
    });
    a = batches[i];
  }
}

function checkGaps(l, startSeq, f) {
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

function checkChain(l, anchors, f) {
  const { bySeq, seqs } = l;
  const ownerOf = new Map();
  const successors = new Set();
  for (const s of seqs) {
    const r = bySeq.get(s);
    if (r.hash) ownerOf.set(r.hash, s);
    if (r.prev) successors.add(r.prev);
  }
  const flagged = f.flagged;
  // (a) a record whose chain predecessor carries a seq at or after its own sits out of order
  for (const s of seqs) {
    const r = bySeq.get(s);
    if (r.selfOk !== true || r.prev === null) continue;
    const p = ownerOf.get(r.prev);
    if (p !== undefined && p >= s)
      f.add(
        {
          kind: 'event_out_of_order',
          seq: s,
          message: `event ${s}: out of order (it follows event ${p} in the chain)`,
        },
        [[s, s]],
        true,
      );
  }
  // (b) events swapped between seqs, each row keeping its hashes
  const bad = seqs.filter((s) => bySeq.get(s).selfOk === false);
  let lo = 0;
  for (let i = 0; i < bad.length; i++) {
    const r = bySeq.get(bad[i]);
    while (bad[lo] < r.seq - SWAP_WINDOW) lo++;
    for (let j = lo; j < bad.length && bad[j] <= r.seq + SWAP_WINDOW; j++) {
      const t = bySeq.get(bad[j]);
      if (j === i || t.prev === null || sha256hex(t.prev + r.text) !== t.hash) continue;
      f.add(
        {
          kind: 'event_out_of_order',
          seq: r.seq,
          message: `event ${r.seq}: out of order (it holds event ${t.seq}'s content)`,
        },
        [[r.seq, r.seq]],
        true,
      );
      break;
    }
  }
  // (c) a record its neighbours link around, and that nothing follows, was inserted
  for (const s of seqs) {
    if (flagged.has(s)) continue;
    const r = bySeq.get(s);
    const p = bySeq.get(s - 1);
    const n = bySeq.get(s + 1);
    if (p?.hash && n?.prev === p.hash && !(r.hash && successors.has(r.hash)))
      f.add(
        {
          kind: 'event_inserted',
          seq: s,
          message: `event ${s}: inserted (events ${s - 1} and ${s + 1} link around it)`,
        },
        [[s, s]],
        true,
      );
  }
  // (d) a record that does not match its own chain hash was edited
  for (const s of bad) {
    if (flagged.has(s)) continue;
    f.add(
      { kind: 'event_edited', seq: s, message: `event ${s}: edited (it no longer matches its chain hash)` },
      [[s, s]],
      true,
    );
  }
  // (e) any link still broken and not explained
  for (const s of seqs) {
    const r = bySeq.get(s);
    if (r.prev === null || flagged.has(s)) continue;
    const p = bySeq.get(s - 1);
    const expected = s === 1 ? GENESIS_HASH : p ? p.hash : anchors.get(s - 1);
    if (expected == null || r.prev === expected) continue;
    if (flagged.has(s - 1)) continue;
    const owner = ownerOf.get(r.prev);
    if (owner !== undefined && flagged.has(owner)) continue;
    f.add({
      kind: 'chain_broken',
      seq: s,
      message:
        s === 1 || !p
          ? `event ${s}: does not continue the signed chain before it`
          : `event ${s}: does not link to event ${s - 1} (an event between them was removed, or event ${s - 1} rewritten)`,
    });
  }
}

function checkCheckpoints(input, l, f, startSeq) {
  let count = 0;
  let binding = 0;
  for (const line of input.checkpoints) {
    const cp = line.checkpoint;
    if (!cp) {
      f.add({ kind: 'checkpoint_invalid', message: `checkpoint line ${line.line}: unreadable` });
      continue;
    }
    const verdict = checkpointVerdict(cp, input.keys);
    if (verdict === 'unknown-key') {
      f.add({
        kind: 'checkpoint_unknown_key',
        seq: cp.seq,
        message: `checkpoint at ${cp.seq}: signed by an unknown key`,
      });
      continue;
    }
    if (verdict === 'invalid') {
      f.add({
        kind: 'checkpoint_bad_signature',
        seq: cp.seq,
        message: `checkpoint at ${cp.seq}: bad signature`,
      });
      continue;
    }
    count++;
    if (input.now.getTime() - Date.parse(cp.at) >= input.checkpointGraceS * 1000)
      binding = Math.max(binding, cp.seq);
    if (cp.seq < startSeq) continue;
    const r = l.bySeq.get(cp.seq);
    if (r?.hash != null && r.hash !== cp.hash)
      f.add({
        kind: 'checkpoint_mismatch',
        seq: cp.seq,
        message: `checkpoint at ${cp.seq}: event no longer matches the signed hash`,
      });
  }
  return { count, binding };
}

function checkBatches(l, trusted, f) {
  let verified = 0;
  const inRange = (seq, m) => seq >= m.first_seq && seq <= m.last_seq;
  const byBatch = new Map(trusted.map((m) => [m.batch, m]));
  for (const s of l.seqs) {
    const r = l.bySeq.get(s);
    const m = r.file === null ? undefined : byBatch.get(r.file);
    if (m && !inRange(s, m))
      f.add(
        {
          kind: 'batch_mismatch',
          batch: m.batch,
          message: `batch ${m.batch}: its file holds event ${s}, outside ${m.first_seq}..${m.last_seq}`,
        },
        [[s, s]],
      );
  }
  for (const m of trusted) {
    verified++;
    const leaves = [];
    for (let s = m.first_seq; s <= m.last_seq; s++) {
      const r = l.bySeq.get(s);
      if (!r) break;
      leaves.push(Buffer.from(r.leaf, 'latin1'));
    }
    if (leaves.length < m.count) continue;
    if (f.explains(m.first_seq, m.last_seq)) continue;
    if (merkleRoot(leaves).toString('hex') !== m.root)
      f.add({
        kind: 'batch_mismatch',
        batch: m.batch,
        message: `batch ${m.batch}: root does not match its manifest (events ${m.first_seq}..${m.last_seq})`,
      });
    else {
      const head = l.bySeq.get(m.last_seq).hash;
      if (head !== null && head !== m.chain_head)
        f.add({
          kind: 'batch_mismatch',
          batch: m.batch,
          message: `batch ${m.batch}: chain head does not match its manifest`,
        });
    }
  }
  return verified;
}

async function verifyCopy(input) {
  const f = new FindingList();
  const notes = [];
  const l = await load(input, f);
  const { trusted, first } = checkManifests(input, f, notes);
  const anchors = new Map(trusted.map((m) => [m.last_seq, m.chain_head]));
  const firstManifest = trusted[0];
  let startSeq = 1;
  if (input.mayStartLate && first !== null && first > 1)
    startSeq = Math.min(firstManifest.first_seq, l.seqs[0] ?? firstManifest.first_seq);
  else if (input.mayStartLate && first === null) startSeq = l.seqs[0] ?? 1;
  checkGaps(l, startSeq, f);
  if (l.seqs.some((s) => l.bySeq.get(s).prev !== null)) checkChain(l, anchors, f);
  else if (l.seqs.length > 0)
    notes.push('the copy carries no chain hashes: an edit is found per batch, not per event');
  const cps = checkCheckpoints(input, l, f, startSeq);
  const verified = checkBatches(l, trusted, f);
  const lastSeq = l.seqs[l.seqs.length - 1] ?? null;
  const lastManifest = trusted[trusted.length - 1];
  const ends = [];
  const old = (at, graceS) => input.now.getTime() - Date.parse(at) >= graceS * 1000;
  const bindingManifest = trusted.filter((m) => old(m.sealed_at, input.manifestGraceS)).pop();
  if (bindingManifest)
    ends.push({ seq: bindingManifest.last_seq, what: `signed batch ${bindingManifest.batch}` });
  if (cps.binding > 0) ends.push({ seq: cps.binding, what: 'a signed checkpoint' });
  const end = ends.reduce((a, b) => (a && a.seq >= b.seq ? a : b), null);
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
  if (firstManifest && l.seqs.length > 0 && l.seqs[0] < firstManifest.first_seq)
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

// ---------------------------------------------------------------------------------------------
// Command line.

const USAGE = `usage: node viworks-audit-verify.mjs --key PEM [--key PEM]... (--worm DIR | --ndjson FILE --manifests DIR)
                                  [--checkpoints FILE] [--lag-grace SECONDS] [--json]
`;

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        key: { type: 'string', multiple: true },
        worm: { type: 'string' },
        ndjson: { type: 'string' },
        manifests: { type: 'string' },
        checkpoints: { type: 'string' },
        'lag-grace': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const graceS = values['lag-grace'] === undefined ? 3600 : Number(values['lag-grace']);
  const worm = values.worm !== undefined;
  if (
    !values.key?.length ||
    worm === (values.ndjson !== undefined) ||
    (values.ndjson !== undefined) !== (values.manifests !== undefined) ||
    !Number.isSafeInteger(graceS) ||
    graceS < 0
  ) {
    process.stderr.write(USAGE);
    return 64;
  }
  let input;
  try {
    const keys = values.key.map((path) => trustedKey(readFileSync(path, 'utf8')));
    const checkpoints = [];
    if (values.checkpoints !== undefined)
      readFileSync(values.checkpoints, 'utf8')
        .split('\n')
        .forEach((raw, i) => {
          if (raw.trim() !== '') checkpoints.push({ line: i + 1, checkpoint: parseCheckpoint(raw) });
        });
    const common = { keys, checkpoints, now: new Date(), manifestGraceS: 0 };
    if (worm) {
      const dir = values.worm;
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such directory`);
      const files = numberedFiles(join(dir, 'batches'), 'ndjson');
      const manifestsDir = join(dir, 'manifests');
      input = {
        ...common,
        source: 'worm',
        location: dir,
        items: (async function* () {
          for (const { batch, path } of files)
            yield* fileRecords(path, (line) => `batch ${batch} line ${line}`, batch);
        })(),
        orderMatters: true,
        manifests: existsSync(manifestsDir) ? readManifestDir(manifestsDir) : [],
        mayStartLate: true,
        batchFiles: files.map((x) => x.batch),
        checkpointGraceS: graceS,
      };
    } else {
      if (!existsSync(values.ndjson)) throw new Error(`${values.ndjson}: no such file`);
      input = {
        ...common,
        source: 'ndjson',
        location: values.ndjson,
        items: fileRecords(values.ndjson, (line) => `line ${line}`),
        orderMatters: true,
        manifests: readManifestDir(values.manifests),
        mayStartLate: true,
        checkpointGraceS: 0,
      };
    }
  } catch (err) {
    process.stderr.write(`cannot read the input: ${err.message}\n`);
    return 2;
  }
  let report;
  try {
    report = await verifyCopy(input);
  } catch (err) {
    process.stderr.write(`cannot read the input: ${err.message}\n`);
    return 2;
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ v: 1, ...report })}\n`);
  else {
    const batches =
      report.batches.first === null
        ? 'no signed batches'
        : `${report.batches.verified} signed batches (${report.batches.first}..${report.batches.last})`;
    const lines = [
      `${report.source} ${report.location}: ${report.ok ? 'intact' : 'BROKEN'} — ${report.events} events, ${batches}, ${report.checkpoints} checkpoints`,
      ...report.findings.map((x) => `  - ${x.message}`),
      ...report.notes.map((n) => `  note: ${n}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return report.ok ? 0 : 1;
}

// exitCode, not exit(): a large report written to a pipe must be flushed before the process ends.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`viworks-audit-verify: ${err?.message ?? err}\n`);
    process.exitCode = 2;
  },
);
