// `viworks-server audit prove <seq>`: the evidence that one event is in a signed batch — its leaf,
// its RFC 6962 audit path and the batch's signed manifest. With the audit public key, anyone can
// check it without the database: leaf_hash = SHA-256(0x00 ‖ canonicalJson({seq, event})), the path
// leads to manifest.root, and the manifest's signature holds (docs/audit.md#proofs).
import type { AuditEvent } from '../../../core/audit/event.js';
import { type BatchManifest, eventLeafHash, parseManifestText } from '../../../core/audit/manifest.js';
import { inclusionProof, merkleRoot, verifyInclusion } from '../../../core/audit/merkle.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db } from '../../data/client.js';

export interface EventProof {
  readonly seq: number;
  readonly batch: number;
  /** 0-based position of the event in its batch (seq − first_seq). */
  readonly leaf_index: number;
  readonly tree_size: number;
  readonly leaf_hash: string;
  /** Sibling hashes from the leaf up to the root (RFC 6962 §2.1.1). */
  readonly audit_path: readonly string[];
  readonly root: string;
  readonly manifest: BatchManifest;
  /** The event the leaf hashes, as stored. */
  readonly event: AuditEvent;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PAGE = 2_000;

/** The batch's leaf hashes, and the one event asked for. */
async function leavesOf(
  db: Db,
  m: BatchManifest,
  seq: number,
): Promise<{ leaves: Buffer[]; event: AuditEvent | null }> {
  const leaves: Buffer[] = [];
  let event: AuditEvent | null = null;
  for (let from = BigInt(m.first_seq); from <= BigInt(m.last_seq); ) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gte: from, lte: BigInt(m.last_seq) } },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      const e = JSON.parse(r.event) as AuditEvent;
      leaves.push(eventLeafHash(Number(r.seq), e));
      if (Number(r.seq) === seq) event = e;
    }
    from = rows[rows.length - 1]!.seq + 1n;
  }
  return { leaves, event };
}

/**
 * The inclusion proof of event `seq`, checked before it is returned. VIW_E_NOT_FOUND when there is
 * no such event or it is not sealed yet (the details say when the next seal runs);
 * VIW_E_CONFLICT when the stored events no longer match their signed batch.
 */
export async function proveEvent(
  db: Db,
  seq: number,
  opts: { readonly batchIntervalS?: number } = {},
): Promise<EventProof> {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new ViworksError('VIW_E_VALIDATION', { details: ['seq: a whole number from 1'] });
  const row = await db.auditBatch.findFirst({
    where: { firstSeq: { lte: BigInt(seq) }, lastSeq: { gte: BigInt(seq) } },
  });
  if (!row) {
    const exists = await db.auditEvent.findUnique({ where: { seq: BigInt(seq) }, select: { seq: true } });
    if (!exists) throw new ViworksError('VIW_E_NOT_FOUND', { details: [`event ${seq}: no such event`] });
    const when = opts.batchIntervalS ? `within ${opts.batchIntervalS} s` : 'at the next batch interval';
    throw new ViworksError('VIW_E_NOT_FOUND', {
      message: `Event ${seq} is not sealed yet`,
      details: [
        `event ${seq}: not in a signed batch yet; the server seals ${when} (or run viworks-server audit seal)`,
      ],
    });
  }
  const manifest = parseManifestText(row.manifest);
  const mismatch = (what: string) =>
    new ViworksError('VIW_E_CONFLICT', {
      message: 'The stored events no longer match their signed batch',
      details: [`batch ${manifest.batch}: ${what} (run viworks-server audit verify)`],
    });
  if (seq < manifest.first_seq || seq > manifest.last_seq)
    throw mismatch('index columns differ from the manifest');
  const { leaves, event } = await leavesOf(db, manifest, seq);
  if (leaves.length !== manifest.count || !event) throw mismatch('events missing');
  const root = merkleRoot(leaves);
  if (hex(root) !== manifest.root) throw mismatch('root does not match its manifest');
  const index = seq - manifest.first_seq;
  const path = inclusionProof(leaves, index);
  if (!verifyInclusion(index, leaves.length, leaves[index]!, path, Buffer.from(manifest.root, 'hex')))
    throw mismatch('inclusion proof does not verify');
  return {
    seq,
    batch: manifest.batch,
    leaf_index: index,
    tree_size: manifest.count,
    leaf_hash: hex(leaves[index]!),
    audit_path: path.map(hex),
    root: manifest.root,
    manifest,
    event,
  };
}
