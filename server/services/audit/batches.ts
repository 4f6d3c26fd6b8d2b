// The batch sealer (docs/audit.md#batches, pki-siem §4.3): every interval, the events recorded since
// the last batch become one new batch — an RFC 6962 Merkle root over them, bound to the hash chain
// (chain_head) and to the previous batch (prev_manifest), signed by the audit key — stored in
// audit_batches and then written to the WORM copy. The sealer checks the chain of what it seals:
// signing over a tampered tail would launder it.
//
// Several backend instances may seal at once: each new batch starts right after the newest one it
// read, and the batch number is the primary key, so the slower instance's insert fails and it reads
// again. Batches therefore never overlap and never leave a gap.
import { chainHash, GENESIS_HASH } from '../../../core/audit/chain.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import {
  type BatchManifest,
  batchFileStem,
  eventLeafHash,
  FIRST_PREV_MANIFEST,
  manifestDigest,
  manifestSignedBytes,
  manifestText,
  parseManifestText,
  type UnsignedManifest,
} from '../../../core/audit/manifest.js';
import { merkleRoot } from '../../../core/audit/merkle.js';
import { isViworksError, ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db } from '../../data/client.js';
import type { AuditArchive } from './archive.js';
import type { AuditSigner } from './signer.js';

export interface SealDeps {
  readonly db: Db;
  readonly signer: AuditSigner;
  /** The WORM copy; null when none is configured. */
  readonly archive: AuditArchive | null;
  readonly now: () => Date;
  /** At most this many events per batch (default MAX_BATCH_EVENTS; tests make it small). */
  readonly maxBatchEvents?: number;
}

export interface SealedBatch {
  readonly batch: number;
  readonly first_seq: number;
  readonly last_seq: number;
  readonly count: number;
  readonly root: string;
}

export interface SealResult {
  /**
   * Batches sealed by this call: none when nothing was recorded since the last one, more than one
   * only after a backlog larger than MAX_BATCH_EVENTS.
   */
  readonly sealed: readonly SealedBatch[];
  /** Batches this call wrote to the WORM copy (new ones and earlier failures). */
  readonly archived: readonly number[];
  /** The batch whose WORM write failed; it and every later one are retried by the next call. */
  readonly archiveFailed: { readonly batch: number; readonly error: string } | null;
  /** Batches still waiting for the WORM copy after this call. */
  readonly archivePending: number;
  /** Times another instance sealed the same batch number first (each followed by a re-read). */
  readonly conflicts: number;
}

/** A batch larger than this is split: its WORM file stays far below the archive's size limit. */
export const MAX_BATCH_EVENTS = 50_000;
const PAGE = 2_000;
const MAX_CONFLICTS = 10;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function refuse(message: string, detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFLICT', { message, details: [detail] });
}

interface Tail {
  readonly batch: number;
  readonly lastSeq: number;
  readonly chainHead: string;
  readonly digest: string;
}

/** The newest batch, read from its signed manifest (not the row's index columns). */
async function readTail(db: Db): Promise<Tail | null> {
  const row = await db.auditBatch.findFirst({ orderBy: { batch: 'desc' } });
  if (!row) return null;
  let m: BatchManifest;
  try {
    m = parseManifestText(row.manifest);
  } catch (cause) {
    throw new ViworksError('VIW_E_CONFLICT', {
      message: 'The newest audit batch is unreadable; not sealing',
      details: [`batch ${row.batch}: manifest does not parse (run viworks-server audit verify)`],
      cause,
    });
  }
  if (m.batch !== row.batch)
    throw refuse(
      'The newest audit batch is inconsistent; not sealing',
      `batch ${row.batch}: manifest names batch ${m.batch}`,
    );
  return { batch: m.batch, lastSeq: m.last_seq, chainHead: m.chain_head, digest: manifestDigest(m) };
}

interface Leaves {
  readonly leaves: Buffer[];
  readonly from: string;
  readonly to: string;
  readonly chainHead: string;
}

/** Leaf hashes of events first..last, checking that they continue the chain from `prevHash`. */
async function readLeaves(db: Db, first: number, last: number, prevHash: string): Promise<Leaves> {
  const leaves: Buffer[] = [];
  let from = '';
  let to = '';
  let prev = prevHash;
  let expected = first;
  while (expected <= last) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gte: BigInt(expected), lte: BigInt(last) } },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      const broken = (what: string) =>
        refuse(
          'The audit hash chain is broken; not sealing',
          `event ${seq}: ${what} (run viworks-server audit verify)`,
        );
      if (seq !== expected)
        throw refuse('The audit hash chain has a gap; not sealing', `event ${expected}: missing`);
      let event: { timestamp?: unknown };
      try {
        event = JSON.parse(r.event) as { timestamp?: unknown };
      } catch {
        throw broken('not JSON');
      }
      if (r.prevHash !== prev || chainHash(prev, event as AuditEvent) !== r.hash)
        throw broken('hash chain broken');
      if (typeof event.timestamp !== 'string') throw broken('no timestamp');
      if (seq === first) from = event.timestamp;
      to = event.timestamp;
      leaves.push(eventLeafHash(seq, event));
      prev = r.hash;
      expected++;
    }
  }
  if (expected <= last)
    throw refuse('The audit hash chain has a gap; not sealing', `event ${expected}: missing`);
  return { leaves, from, to, chainHead: prev };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2002';
}

/** Seals the next batch; null when nothing is pending, 'conflict' when another instance won the number. */
async function sealNext(deps: SealDeps): Promise<SealedBatch | null | 'conflict'> {
  const { db, signer } = deps;
  const tail = await readTail(db);
  const first = (tail?.lastSeq ?? 0) + 1;
  const head = await db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
  if (!head || Number(head.seq) < first) return null;
  const last = Math.min(Number(head.seq), first + (deps.maxBatchEvents ?? MAX_BATCH_EVENTS) - 1);
  const read = await readLeaves(db, first, last, tail?.chainHead ?? GENESIS_HASH);
  const now = deps.now();
  const unsigned: UnsignedManifest = {
    v: 1,
    batch: (tail?.batch ?? 0) + 1,
    first_seq: first,
    last_seq: last,
    count: read.leaves.length,
    from: read.from,
    to: read.to,
    root: hex(merkleRoot(read.leaves)),
    chain_head: read.chainHead,
    prev_manifest: tail?.digest ?? FIRST_PREV_MANIFEST,
    sealed_at: now.toISOString(),
    key_id: signer.keyId,
    alg: signer.algorithm,
  };
  const sig = (await signer.sign(manifestSignedBytes(unsigned))).toString('base64');
  const manifest: BatchManifest = { ...unsigned, sig };
  try {
    await db.auditBatch.create({
      data: {
        batch: manifest.batch,
        firstSeq: BigInt(first),
        lastSeq: BigInt(last),
        count: manifest.count,
        root: manifest.root,
        manifest: manifestText(manifest),
        sealedAt: now,
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) return 'conflict';
    throw err;
  }
  return {
    batch: manifest.batch,
    first_seq: first,
    last_seq: last,
    count: manifest.count,
    root: manifest.root,
  };
}

/** The batch file: the events as flat NDJSON lines, the format of <dataDir>/audit/audit.ndjson. */
async function batchFile(db: Db, first: bigint, last: bigint): Promise<Buffer> {
  const parts: string[] = [];
  for (let from = first; from <= last; ) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gte: from, lte: last } },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      const event = JSON.parse(r.event) as Record<string, unknown>;
      parts.push(
        `${JSON.stringify({ seq: Number(r.seq), ...event, prev_hash: r.prevHash, hash: r.hash })}\n`,
      );
    }
    from = rows[rows.length - 1]!.seq + 1n;
  }
  return Buffer.from(parts.join(''), 'utf8');
}

function describe(err: unknown): string {
  if (isViworksError(err)) return [err.code, ...err.details].join(': ');
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown error';
}

/**
 * Writes every batch not yet in the WORM copy, oldest first: the batch file, then its manifest (so a
 * manifest there always has its batch beside it), then marks the row. Stops at the first failure so
 * the copy never has a hole; the archive refuses to overwrite, and equal bytes are a no-op, so a
 * retry after a partial write (or by another instance) is safe.
 */
async function archivePending(deps: SealDeps, archive: AuditArchive) {
  const archived: number[] = [];
  let failed: SealResult['archiveFailed'] = null;
  const pending = await deps.db.auditBatch.findMany({
    where: { archivedAt: null },
    orderBy: { batch: 'asc' },
    select: { batch: true, firstSeq: true, lastSeq: true, manifest: true },
  });
  for (const row of pending) {
    const stem = batchFileStem(row.batch);
    try {
      await archive.put(`batches/${stem}.ndjson`, await batchFile(deps.db, row.firstSeq, row.lastSeq));
      await archive.put(`manifests/${stem}.json`, Buffer.from(`${row.manifest}\n`, 'utf8'));
      await deps.db.auditBatch.updateMany({
        where: { batch: row.batch, archivedAt: null },
        data: { archivedAt: deps.now() },
      });
      archived.push(row.batch);
    } catch (err) {
      failed = { batch: row.batch, error: describe(err) };
      break;
    }
  }
  return { archived, failed, pending: pending.length - archived.length };
}

/**
 * Seals every event recorded after the last batch (normally into one new batch), then brings the
 * WORM copy up to date. Throws VIW_E_CONFLICT, sealing nothing, when the events to seal do not
 * continue the hash chain of the last batch.
 */
export async function sealPendingBatches(deps: SealDeps): Promise<SealResult> {
  const sealed: SealedBatch[] = [];
  let conflicts = 0;
  for (;;) {
    const next = await sealNext(deps);
    if (next === null) break;
    if (next === 'conflict') {
      if (++conflicts > MAX_CONFLICTS)
        throw new ViworksError('VIW_E_CONFLICT', { details: ['audit batch: too many concurrent sealers'] });
      continue;
    }
    sealed.push(next);
  }
  if (!deps.archive) return { sealed, archived: [], archiveFailed: null, archivePending: 0, conflicts };
  const a = await archivePending(deps, deps.archive);
  return { sealed, archived: a.archived, archiveFailed: a.failed, archivePending: a.pending, conflicts };
}

export interface SealerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Seals every `intervalS` seconds (one run at a time) and once more on stop(), so that a clean
 * shutdown leaves nothing unsealed. Failures are logged and retried on the next tick.
 */
export function startBatchSealer(
  deps: SealDeps,
  intervalS: number,
  log: SealerLog,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return running;
    running = sealPendingBatches(deps)
      .then((r) => {
        for (const b of r.sealed) log.info({ batch: b.batch, events: b.count }, 'audit batch sealed');
        if (r.archiveFailed)
          log.warn(
            { batch: r.archiveFailed.batch, error: r.archiveFailed.error, pending: r.archivePending },
            'audit batch not yet in the WORM copy; retrying next interval',
          );
      })
      .catch((err: unknown) => log.error({ err }, 'audit batch sealing failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(run, intervalS * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      if (running) await running;
      await run();
    },
  };
}
