import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findChainBreak } from '../../../../core/audit/chain.js';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { openDatabase } from '../../../data/database.js';
import { AuditService } from '../service.js';
import { dbAuditSource } from './db-source.js';

describe('dbAuditSource (SQLite)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-ship-src-'));
    database = await openDatabase({ dataDir: dir });
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
    );
    for (let i = 0; i < 12; i++) {
      await audit.record({
        component: 'backend',
        action: 'auth.login',
        result: i % 3 ? 'success' : 'denied',
      });
    }
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads stored events after a seq, ascending, as the chain stored them', async () => {
    const source = dbAuditSource(database.db);
    const all = await source.readAfter(0, 100);
    assert.deepEqual(
      all.map((r) => r.seq),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(findChainBreak(all), null, 'hash, prevHash and event are the stored ones');
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    assert.deepEqual(
      all.map((r) => r.hash),
      rows.map((r) => r.hash),
    );
    assert.equal(all[0]?.event.severity, 'warning');
  });

  it('honours the limit and continues where it stopped', async () => {
    const source = dbAuditSource(database.db);
    const page = await source.readAfter(4, 3);
    assert.deepEqual(
      page.map((r) => r.seq),
      [5, 6, 7],
    );
    assert.deepEqual(await source.readAfter(12, 10), []);
  });

  it('stops at a row that is no longer a valid event instead of skipping it', async () => {
    // The table is append-only (triggers refuse updates): a forged row is appended instead.
    const last = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 12n } });
    await database.db.auditEvent.create({
      data: {
        seq: 13n,
        at: new Date(),
        event: '{"not":"an event"}',
        prevHash: last.hash,
        hash: 'f'.repeat(64),
      },
    });
    const source = dbAuditSource(database.db);
    assert.equal((await source.readAfter(0, 12)).length, 12);
    await assert.rejects(source.readAfter(10, 5), (err: unknown) => {
      assert.ok(isViworksError(err, 'VIW_E_VALIDATION'));
      assert.deepEqual(err.details, ['audit event 13: not a valid stored event']);
      return true;
    });
  });
});
