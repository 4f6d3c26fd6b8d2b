// Verifies the audit trail end to end: the hash chain over every stored event, then every signed
// checkpoint (signature by the audit key, and the stored event at its seq still has its hash).
import type { KeyObject } from 'node:crypto';
import { findChainBreak, GENESIS_HASH } from '../../../core/audit/chain.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import type { Db } from '../../data/client.js';
import { checkpointSignatureValid, readCheckpoints } from './checkpoints.js';

export interface AuditVerification {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  /** Human-readable findings, one per problem (seq numbers only, never event content). */
  readonly problems: readonly string[];
}

const PAGE = 1000;

export async function verifyAuditTrail(
  db: Db,
  dataDir: string,
  publicKey: KeyObject,
): Promise<AuditVerification> {
  const problems: string[] = [];
  const hashes = new Map<number, string>();
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  for (let after = 0n; ; ) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expectedSeq) problems.push(`event ${expectedSeq}: missing (next stored is ${seq})`);
      expectedSeq = seq + 1;
      let event: ReturnType<typeof parseAuditEvent>;
      try {
        event = parseAuditEvent(JSON.parse(r.event));
      } catch {
        problems.push(`event ${seq}: not a valid audit event`);
        prev = r.hash;
        continue;
      }
      if (findChainBreak([{ seq, event, prevHash: r.prevHash, hash: r.hash }], prev) !== null) {
        problems.push(`event ${seq}: hash chain broken`);
      }
      hashes.set(seq, r.hash);
      prev = r.hash;
      events++;
    }
    after = rows[rows.length - 1]!.seq;
  }
  const checkpoints = readCheckpoints(dataDir);
  for (const cp of checkpoints) {
    if (!checkpointSignatureValid(cp, publicKey)) problems.push(`checkpoint at ${cp.seq}: bad signature`);
    else if (hashes.get(cp.seq) !== cp.hash)
      problems.push(`checkpoint at ${cp.seq}: event no longer matches the signed hash`);
  }
  return { ok: problems.length === 0, events, checkpoints: checkpoints.length, problems };
}
