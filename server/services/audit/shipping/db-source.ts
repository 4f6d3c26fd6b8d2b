// Where the shippers take events from: the audit table, the source of truth. Reading by seq means a
// spool that was full, lost or cut away is refilled exactly where it stopped.
import { parseAuditEvent } from '../../../../core/audit/event.js';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { Db } from '../../../data/client.js';
import type { ShippedRecord } from './transport.js';

export interface AuditSource {
  /** Up to `limit` stored events with seq > `seq`, ascending. */
  readAfter(seq: number, limit: number): Promise<ShippedRecord[]>;
}

/** The most rows one read returns, whatever the caller asks. */
const MAX_LIMIT = 1000;

export function dbAuditSource(db: Db): AuditSource {
  return {
    async readAfter(seq, limit) {
      const rows = await db.auditEvent.findMany({
        where: { seq: { gt: BigInt(seq) } },
        orderBy: { seq: 'asc' },
        take: Math.max(1, Math.min(MAX_LIMIT, limit)),
      });
      return rows.map((r) => {
        try {
          return {
            seq: Number(r.seq),
            hash: r.hash,
            prevHash: r.prevHash,
            event: parseAuditEvent(JSON.parse(r.event)),
          };
        } catch {
          // A row that is no longer an event was altered; shipping stops here rather than skip it
          // (`audit verify` names the break).
          throw new ViworksError('VIW_E_VALIDATION', {
            details: [`audit event ${r.seq}: not a valid stored event`],
          });
        }
      });
    },
  };
}
