// The audit stream: every event is validated (core/audit), appended to the database with a hash
// chain (tamper evidence), and written as one NDJSON line for the SIEM shipper. Appends are
// serialized in-process; across instances the chain's primary key turns a race into a retry.
// Every event with a source address gets its country and AS here (offline, services/geo) unless the
// caller already said them, so no path can forget the enrichment the SIEM rules group by.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../../core/audit/chain.js';
import {
  type AuditContext,
  type AuditEvent,
  type AuditFacts,
  buildAuditEvent,
} from '../../../core/audit/event.js';
import { pseudonymousUserId } from '../../../core/audit/pseudonym.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db } from '../../data/client.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import type { SourceGeo } from '../geo/geoip.js';

export interface AuditRecord {
  readonly seq: number;
  readonly event: AuditEvent;
  readonly hash: string;
}

/**
 * Facts as services state them: the internal user id, which becomes a pseudonym here — or, for
 * facts carried over from earlier events (an alert's), the pseudonym those events already hold,
 * taken as it is (`u-` + 24 hex; the event schema refuses anything else). Never both.
 */
export type ServiceAuditFacts = Omit<AuditFacts, 'user_id'> & {
  readonly userAuditId?: string | null;
  readonly user_id?: string | null;
};

export class AuditService {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(record: AuditRecord) => void>();
  private readonly ndjsonPath: string | null;

  constructor(
    private readonly db: Db,
    private readonly ctx: AuditContext,
    private readonly pseudonymKey: Uint8Array,
    opts: {
      dataDir?: string;
      now?: () => Date;
      geo?: { describe(ip: string): SourceGeo };
      /** What the request being served says (server/http/request-facts.ts): its connection's JA3/JA4. */
      ambient?: () => Pick<AuditFacts, 'tls_ja3' | 'tls_ja4'>;
    } = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.geo = opts.geo ?? null;
    this.ambient = opts.ambient ?? (() => ({}));
    if (opts.dataDir) {
      ensurePrivateDir(join(opts.dataDir, 'audit'));
      this.ndjsonPath = join(opts.dataDir, 'audit', 'audit.ndjson');
    } else {
      this.ndjsonPath = null;
    }
  }

  private readonly now: () => Date;
  private readonly geo: { describe(ip: string): SourceGeo } | null;
  private readonly ambient: () => Pick<AuditFacts, 'tls_ja3' | 'tls_ja4'>;

  /** Country and AS of the event's source address, where the caller left them unsaid. */
  private located(facts: Omit<AuditFacts, 'user_id'>): Omit<AuditFacts, 'user_id'> {
    if (!this.geo || !facts.src_ip || (facts.country != null && facts.asn != null)) return facts;
    const place = this.geo.describe(facts.src_ip);
    return {
      ...facts,
      country: facts.country ?? place.country,
      asn: facts.asn ?? place.asn?.number ?? null,
    };
  }

  /** The pseudonymous id audit events carry for a user (never the username). */
  userPseudonym(userAuditId: string): string {
    return pseudonymousUserId(this.pseudonymKey, userAuditId);
  }

  /**
   * Called after each event is durable (the SIEM shippers wake on it). A listener must not throw
   * and must not record an event itself for every call (that would never settle).
   */
  onRecorded(listener: (record: AuditRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one event. Resolves once it is durable in the database and the NDJSON file. */
  async record(facts: ServiceAuditFacts): Promise<AuditRecord> {
    const { userAuditId, user_id: pseudonym, ...said } = facts;
    if (userAuditId && pseudonym)
      throw new ViworksError('VIW_E_VALIDATION', {
        details: ['user_id: give userAuditId or user_id, not both'],
      });
    const around = this.ambient();
    const rest = this.located({
      ...said,
      ...(said.tls_ja3 === undefined && around.tls_ja3 ? { tls_ja3: around.tls_ja3 } : {}),
      ...(said.tls_ja4 === undefined && around.tls_ja4 ? { tls_ja4: around.tls_ja4 } : {}),
    });
    const event = buildAuditEvent(
      this.ctx,
      { ...rest, user_id: userAuditId ? this.userPseudonym(userAuditId) : (pseudonym ?? null) },
      this.now(),
    );
    const next = this.tail.then(() => this.append(event));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async append(event: AuditEvent, attempt = 0): Promise<AuditRecord> {
    const text = canonicalJson(event);
    try {
      const record = await this.db.$transaction(async (tx) => {
        const last = await tx.auditEvent.findFirst({
          orderBy: { seq: 'desc' },
          select: { seq: true, hash: true },
        });
        const seq = (last?.seq ?? 0n) + 1n;
        const prevHash = last?.hash ?? GENESIS_HASH;
        const hash = chainHash(prevHash, event);
        await tx.auditEvent.create({
          data: { seq, at: new Date(event.timestamp), event: text, prevHash, hash },
        });
        return { seq: Number(seq), event, hash, prevHash };
      });
      if (this.ndjsonPath) {
        appendFileSync(
          this.ndjsonPath,
          `${JSON.stringify({ seq: record.seq, ...event, prev_hash: record.prevHash, hash: record.hash })}\n`,
          { mode: 0o600 },
        );
      }
      const done = { seq: record.seq, event, hash: record.hash };
      for (const listener of this.listeners) listener(done);
      return done;
    } catch (err) {
      // Another instance appended the same seq first: re-read the tail and try again.
      if (attempt < 5 && (err as { code?: string }).code === 'P2002') return this.append(event, attempt + 1);
      throw err;
    }
  }
}
