// The engine on a real AuditService (SQLite): it hears durable records through onRecorded, and a
// sink that writes its alert back into the same audit stream (as the alert store does) cannot make
// the engine feed on its own alerts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../data/database.js';
import { MemoryKv } from '../../kv/memory-kv.js';
import { AuditService } from '../audit/service.js';
import type { AlertSink, RaisedAlert } from './alert.js';
import { startDetections } from './engine.js';
import { parseDetectionSettings } from './settings.js';

describe('detection engine on the audit stream (SQLite)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let audit: AuditService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-detect-'));
    database = await openDatabase({ dataDir: dir });
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises otp_stuffing once from recorded events; its alert.* event is not evaluated again', async () => {
    const raised: RaisedAlert[] = [];
    const sink: AlertSink = {
      async raise(alert) {
        raised.push(alert);
        await audit.record({
          component: 'backend',
          action: `alert.${alert.rule}`,
          result: 'success',
          severity: alert.severity === 'critical' ? 'critical' : 'warning',
          error_msg: alert.summary,
        });
      },
    };
    const kv = new MemoryKv();
    const engine = startDetections({
      audit,
      kv,
      sink,
      settings: parseDetectionSettings(),
      log: { warn: () => undefined, error: () => undefined },
    });
    for (let i = 0; i < 10; i += 1) {
      await audit.record({
        component: 'backend',
        action: 'auth.otp_verify',
        result: 'failure',
        userAuditId: 'user-1',
        src_ip: '198.51.100.9',
        asn: 64500 + (i % 3),
      });
    }
    await engine.idle();
    await engine.stop();
    await kv.close();
    assert.deepEqual(
      raised.map((a) => a.rule),
      ['otp_stuffing'],
    );
    assert.equal(raised[0]?.key, audit.userPseudonym('user-1'));
    assert.deepEqual(raised[0]?.evidence, [1, 2, 3, 4, 5]);
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    assert.equal(rows.filter((r) => JSON.parse(r.event).action === 'alert.otp_stuffing').length, 1);
    assert.equal(engine.stats().seen, 10, 'the alert event was not counted as seen');
  });
});
