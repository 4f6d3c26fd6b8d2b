// What the tamper tests share (tests only): a real trail with sealed batches, a WORM copy, an NDJSON
// copy and a signed checkpoint, `audit verify` over it and its copies, and the assertion that a
// tampering was found — by the expected finding, without quoting event content.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditEvent, buildAuditEvent } from '../../../core/audit/event.js';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches } from './batches.js';
import {
  loadOrCreateAuditSigningKey,
  type TrustedKey,
  trustedKeyFromPem,
  writeCheckpoint,
} from './checkpoints.js';
import { type AuditVerification, type SiemDecoder, verifyAuditTrail } from './copies.js';
import { AuditService } from './service.js';
import { type AuditSigner, fileAuditSigner } from './signer.js';
import { directoryArchive } from './testing.js';
import type { CopyReport } from './verify.js';

export type Opened = Awaited<ReturnType<typeof openDatabase>>;
export const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };
/** How long the WORM copy and a SIEM may lag behind (verifyAuditTrail's lagGraceS). */
export const LAG_GRACE_S = 600;

/**
 * 27 events: batches 1 (1..8), 2 (9..16) and 3 (17..24) sealed and in the WORM copy, 25..27 not
 * sealed yet; a signed checkpoint at 27. Event n carries rc = n, so an edit is easy to aim.
 */
export interface Trail {
  readonly dir: string;
  readonly database: Opened;
  readonly signer: AuditSigner;
  readonly key: TrustedKey;
  readonly worm: string;
  readonly ndjson: string;
  /** When the checkpoint was signed (the newest seal). */
  readonly now: Date;
}

export async function buildTrail(): Promise<Trail> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-tamper-'));
  const database = await openDatabase({ dataDir: dir });
  const signer = fileAuditSigner(loadOrCreateAuditSigningKey(dir));
  let clock = Date.parse('2026-04-01T08:00:00.000Z');
  const now = () => new Date(clock);
  const audit = new AuditService(database.db, CTX, randomBytes(32), {
    dataDir: dir,
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
  });
  const worm = join(dir, 'worm');
  let rc = 0;
  for (let b = 0; b < 3; b++) {
    for (let i = 0; i < 8; i++)
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success', rc: ++rc });
    await sealPendingBatches({ db: database.db, signer, archive: directoryArchive(worm), now });
  }
  for (let i = 0; i < 3; i++)
    await audit.record({ component: 'backend', action: 'auth.login', result: 'success', rc: ++rc });
  await writeCheckpoint(database.db, signer, dir, now());
  const ndjson = join(dir, 'copy.ndjson');
  copyFileSync(join(dir, 'audit', 'audit.ndjson'), ndjson);
  return { dir, database, signer, key: trustedKeyFromPem(signer.publicKeyPem), worm, ndjson, now: now() };
}

export interface CopiesToVerify {
  readonly ndjson?: boolean;
  readonly worm?: boolean;
  readonly siem?: { readonly path: string; readonly decoder: SiemDecoder };
  /** Default: the trail's own now (everything within the lag grace). */
  readonly now?: Date;
}

export const verifyTrail = (t: Trail, copies: CopiesToVerify = {}) =>
  verifyAuditTrail({
    db: t.database.db,
    databaseLocation: 'test',
    dataDir: t.dir,
    keys: [t.key],
    ndjson: copies.ndjson ? t.ndjson : null,
    worm: copies.worm ? { dir: t.worm, retentionDays: null } : null,
    siem: copies.siem ?? null,
    lagGraceS: LAG_GRACE_S,
    now: copies.now ?? t.now,
  });

export const ids = (r: CopyReport | undefined) =>
  (r?.findings ?? []).map((f) => `${f.kind}:${f.batch ?? ''}:${f.seq ?? ''}`);

/** The report must name `expected` (kind:batch:seq), and no finding may quote event content. */
export function assertFinds(report: AuditVerification, source: CopyReport['source'], expected: string) {
  const r = report.sources.find((s) => s.source === source);
  assert.equal(report.ok, false, `${source}: tampering went unnoticed`);
  assert.ok(
    ids(r).includes(expected),
    `${source}: expected ${expected}, got ${ids(r).join(', ') || 'nothing'}`,
  );
  for (const s of report.sources)
    for (const f of s.findings)
      assert.doesNotMatch(f.message, /auth\.|"|test|lab/, 'findings name numbers only');
}

/** An event the trail never held, timed inside batch 1. */
export const otherEvent = (): AuditEvent =>
  buildAuditEvent(
    CTX,
    { component: 'admin', action: 'admin.user_lock', result: 'success', rc: 77 },
    new Date('2026-04-01T08:00:04.500Z'),
  );
