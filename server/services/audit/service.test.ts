import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findChainBreak } from '../../../core/audit/chain.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import { openDatabase } from '../../data/database.js';
import { AuditService } from './service.js';

describe('AuditService (SQLite)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let audit: AuditService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-audit-'));
    database = await openDatabase({ dataDir: dir });
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32), {
      dataDir: dir,
    });
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends concurrent events as one intact hash chain, in the database and as NDJSON', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        audit.record({
          component: 'backend',
          action: 'auth.login',
          result: i % 2 ? 'success' : 'failure',
          userAuditId: `a-${i}`,
        }),
      ),
    );
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    assert.equal(rows.length, 20);
    const chained = rows.map((r) => ({
      seq: Number(r.seq),
      event: parseAuditEvent(JSON.parse(r.event)),
      prevHash: r.prevHash,
      hash: r.hash,
    }));
    assert.equal(findChainBreak(chained), null);
    assert.deepEqual(
      chained.map((c) => c.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );

    const file = join(dir, 'audit', 'audit.ndjson');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 20);
    assert.equal(lines[19].hash, rows[19]!.hash);
  });

  it('writes pseudonyms, never the internal id, and refuses invalid events', async () => {
    const rec = await audit.record({
      component: 'admin',
      action: 'admin.user_lock',
      result: 'success',
      userAuditId: 'internal-123',
    });
    assert.match(rec.event.user_id ?? '', /^u-[0-9a-f]{24}$/);
    assert.ok(!JSON.stringify(rec.event).includes('internal-123'));
    await assert.rejects(audit.record({ component: 'backend', action: 'Bad Action', result: 'success' }));
    const after = await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
    assert.equal(after.seq, rec.seq + 1, 'a refused event leaves no gap');
  });

  it('cannot be altered: the database refuses updates to recorded events', async () => {
    await assert.rejects(database.db.auditEvent.updateMany({ data: { event: '{}' } }));
    await assert.rejects(database.db.auditEvent.deleteMany({}));
  });
  it('fills country and AS from the source address, and keeps what the caller said', async () => {
    const geo = {
      describe: (ip: string) =>
        ip === '198.51.100.7'
          ? { network: 'public' as const, country: 'NL', asn: { number: 64501, organization: 'Lab AS' } }
          : { network: 'private' as const, country: null, asn: null },
    };
    const located = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
      {
        geo,
      },
    );
    const looked = await located.record({
      component: 'backend',
      action: 'auth.login',
      result: 'failure',
      src_ip: '198.51.100.7',
    });
    assert.deepEqual([looked.event.country, looked.event.asn], ['NL', 64501]);
    const said = await located.record({
      component: 'backend',
      action: 'auth.login',
      result: 'failure',
      src_ip: '198.51.100.7',
      country: 'DE',
      asn: 64999,
    });
    assert.deepEqual([said.event.country, said.event.asn], ['DE', 64999]);
    const unknown = await located.record({
      component: 'backend',
      action: 'auth.login',
      result: 'failure',
      src_ip: '10.1.2.3',
    });
    assert.deepEqual([unknown.event.country, unknown.event.asn], [null, null]);
    const none = await located.record({ component: 'backend', action: 'auth.login', result: 'success' });
    assert.deepEqual([none.event.country, none.event.asn], [null, null]);
  });
});
