import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../../core/audit/chain.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import { openDatabase } from '../../data/database.js';
import { auditPaths, loadOrCreateAuditSigningKey, writeCheckpoint } from './checkpoints.js';
import { AuditService } from './service.js';
import { verifyAuditTrail } from './verify.js';

type Opened = Awaited<ReturnType<typeof openDatabase>>;

describe('audit trail verification (SQLite)', () => {
  let dir: string;
  let database: Opened;
  let key: ReturnType<typeof loadOrCreateAuditSigningKey>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-auditv-'));
    database = await openDatabase({ dataDir: dir });
    key = loadOrCreateAuditSigningKey(dir);
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
      {
        dataDir: dir,
      },
    );
    for (let i = 0; i < 6; i++)
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success', rc: i });
    assert.ok(await writeCheckpoint(database.db, key, dir));
    assert.equal(
      await writeCheckpoint(database.db, key, dir),
      null,
      'no new checkpoint while the head has not moved',
    );
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What an attacker with database access does: drop the append-only guard and edit rows. */
  async function raw(sql: string) {
    const triggers = await database.db.$queryRawUnsafe<{ name: string; sql: string }[]>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'",
    );
    assert.ok(triggers.length > 0, 'the table is guarded by triggers');
    for (const t of triggers) await database.db.$executeRawUnsafe(`DROP TRIGGER "${t.name}"`);
    await database.db.$executeRawUnsafe(sql);
  }

  it('accepts the intact trail', async () => {
    const r = await verifyAuditTrail(database.db, dir, key.publicKey);
    assert.deepEqual(r, { ok: true, events: 6, checkpoints: 1, problems: [] });
  });

  it('finds an edited event', async () => {
    await raw(
      `UPDATE audit_events SET event = replace(event, '"result":"success"', '"result":"failure"') WHERE seq = 3`,
    );
    const r = await verifyAuditTrail(database.db, dir, key.publicKey);
    assert.equal(r.ok, false);
    assert.ok(r.problems.includes('event 3: hash chain broken'), r.problems.join('; '));
  });

  it('finds a deleted event', async () => {
    await raw('DELETE FROM audit_events WHERE seq = 2');
    const r = await verifyAuditTrail(database.db, dir, key.publicKey);
    assert.ok(
      r.problems.some((p) => p.startsWith('event 2: missing')),
      r.problems.join('; '),
    );
  });

  it('finds a consistent rewrite of the whole chain through the signed checkpoint', async () => {
    // Rewrite event 4 and recompute every hash after it: the chain itself verifies again.
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    await raw('DELETE FROM audit_events');
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const ev = parseAuditEvent(JSON.parse(r.event));
      const event =
        Number(r.seq) === 4 ? { ...ev, result: 'failure' as const, severity: 'notice' as const } : ev;
      const hash = chainHash(prev, event);
      await database.db.auditEvent.create({
        data: { seq: r.seq, at: r.at, event: canonicalJson(event), prevHash: prev, hash },
      });
      prev = hash;
    }
    const r = await verifyAuditTrail(database.db, dir, key.publicKey);
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems, ['checkpoint at 6: event no longer matches the signed hash']);
  });

  it('refuses a forged or altered checkpoint', async () => {
    const path = auditPaths(dir).checkpoints;
    const cp = JSON.parse(readFileSync(path, 'utf8').trim());
    writeFileSync(path, `${JSON.stringify({ ...cp, at: '2020-01-01T00:00:00.000Z' })}\n`);
    const r = await verifyAuditTrail(database.db, dir, key.publicKey);
    assert.deepEqual(r.problems, [`checkpoint at ${cp.seq}: bad signature`]);
    const otherDir = mkdtempSync(join(tmpdir(), 'viw-other-'));
    const other = loadOrCreateAuditSigningKey(otherDir);
    rmSync(otherDir, { recursive: true, force: true });
    writeFileSync(path, `${JSON.stringify(cp)}\n`);
    appendFileSync(path, '');
    assert.equal(
      (await verifyAuditTrail(database.db, dir, other.publicKey)).ok,
      false,
      'another key does not verify',
    );
  });
});
