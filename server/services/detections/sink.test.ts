// The alert sink against a real database and the real audit service: one row and one `alert.<rule>`
// event per alert, linked both ways (row.audit_seq, event.trace_id = row id); the rule's fields
// trimmed to printable, bounded JSON; the context's user pseudonym recorded as it is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALERT_LIMITS, type AlertViewT } from '../../../core/api/admin-alerts.js';
import { parseAuditEvent } from '../../../core/audit/event.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { openDatabase } from '../../data/database.js';
import { AuditService } from '../audit/service.js';
import type { RaisedAlert } from './alert.js';
import { createAlertSink } from './sink.js';
import { AlertStore } from './store.js';

const PSEUDONYM = `u-${'ab12'.repeat(6)}`;
const JA3 = 'e7d705a3286e19ea42f587b344ee6865';

function alertOf(over: Partial<RaisedAlert> = {}): RaisedAlert {
  return {
    rule: 'otp_stuffing',
    severity: 'critical',
    key: PSEUDONYM,
    summary: '7 wrong codes for u-ab12… from 3 ASNs in 10 min',
    fields: {
      failures: 7,
      asns: [64501, 64502, 64503],
      window_s: 600,
      first_ip: '198.51.100.7',
      burst: true,
    },
    context: {
      user_id: PSEUDONYM,
      device_id: 'dev-1',
      session_id: null,
      src_ip: '198.51.100.7',
      asn: 64501,
      country: 'NL',
      tls_ja3: JA3,
      policy_id: 'p-office@3',
    },
    evidence: [11, 12, 13],
    firedAt: new Date('2030-01-02T03:04:05.678Z'),
    ...over,
  };
}

describe('alert sink (SQLite, real AuditService)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let audit: AuditService;
  const logs: string[] = [];
  const log = { warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };
  const posted: AlertViewT[] = [];
  const webhook = {
    enqueue: (a: AlertViewT) => {
      posted.push(a);
      return true;
    },
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-alert-sink-'));
    database = await openDatabase({ dataDir: dir });
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const eventAt = async (seq: number) => {
    const row = await database.db.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(seq) } });
    return parseAuditEvent(JSON.parse(row.event));
  };

  it('writes one row and one alert.<rule> audit event with every field, linked both ways', async () => {
    const sink = createAlertSink({ db: database.db, audit, log, webhook });
    const before = await database.db.alert.count();
    await sink.raise(alertOf());
    assert.equal(await database.db.alert.count(), before + 1);
    const row = await database.db.alert.findFirstOrThrow({ orderBy: { id: 'desc' } });
    assert.equal(row.rule, 'otp_stuffing');
    assert.equal(row.severity, 'critical');
    assert.equal(row.key, PSEUDONYM);
    assert.equal(row.summary, '7 wrong codes for u-ab12? from 3 ASNs in 10 min', 'non-ASCII becomes ?');
    assert.equal(row.firedAt.toISOString(), '2030-01-02T03:04:05.678Z');
    assert.equal(row.ackedAt, null);
    assert.equal(row.ackedBy, null);
    assert.deepEqual(JSON.parse(row.fields), {
      failures: 7,
      asns: [64501, 64502, 64503],
      window_s: 600,
      first_ip: '198.51.100.7',
      burst: true,
      evidence: [11, 12, 13],
    });
    assert.ok(row.auditSeq !== null);

    const event = await eventAt(Number(row.auditSeq));
    const { timestamp, ...rest } = event;
    assert.match(timestamp, /^\d{4}-/);
    assert.deepEqual(rest, {
      env: 'test',
      site: 'lab',
      tenant_id: 't1',
      user_id: PSEUDONYM,
      device_id: 'dev-1',
      session_id: null,
      src_ip: '198.51.100.7',
      src_port: null,
      dst_ip: null,
      dst_port: null,
      proto: null,
      asn: 64501,
      country: 'NL',
      component: 'backend',
      action: 'alert.otp_stuffing',
      result: 'success',
      severity: 'critical',
      fwknop_id: null,
      tls_ja3: JA3,
      ovpn_virtual_ip: null,
      policy_id: 'p-office@3',
      trace_id: row.id,
      cmd: null,
      rc: null,
      bytes_in: null,
      bytes_out: null,
      duration_ms: null,
      error_code: null,
      error_msg: row.summary,
    });

    const sent = posted.at(-1)!;
    assert.equal(sent.id, row.id);
    assert.equal(sent.audit_seq, Number(row.auditSeq));
    assert.deepEqual(sent.evidence, [11, 12, 13]);
    assert.equal(sent.context.user_id, PSEUDONYM);
    assert.deepEqual(sent.fields.asns, [64501, 64502, 64503]);
    assert.deepEqual(
      await new AlertStore(database.db).get(row.id),
      sent,
      'the store reads back what was posted',
    );
    assert.deepEqual(logs, []);
  });

  it('an alert without context records nulls, severity as given', async () => {
    const sink = createAlertSink({ db: database.db, audit, log });
    await sink.raise(
      alertOf({ rule: 'spa_probe_burst', severity: 'warning', context: undefined, evidence: [] }),
    );
    const row = await database.db.alert.findFirstOrThrow({ orderBy: { id: 'desc' } });
    const event = await eventAt(Number(row.auditSeq));
    assert.equal(event.action, 'alert.spa_probe_burst');
    assert.equal(event.severity, 'warning');
    assert.equal(event.user_id, null);
    assert.equal(event.src_ip, null);
    assert.equal(event.trace_id, row.id);
  });

  it('trims what it keeps: printable text, capped strings and lists, bad keys and context left out and named', async () => {
    logs.length = 0;
    const sink = createAlertSink({ db: database.db, audit, log, webhook });
    await sink.raise(
      alertOf({
        key: `k\n${'x'.repeat(300)}`,
        summary: 'line one\nline two\u001b[31m',
        fields: {
          note: 'tab\there\u0000',
          long: 'y'.repeat(1000),
          list: Array.from({ length: 50 }, (_, i) => i),
          'Bad-Key': 1,
          evidence: 'forged',
          nested: { a: 1 } as unknown as string,
          inf: Number.POSITIVE_INFINITY,
        },
        context: { user_id: 'alice', src_ip: 'not an ip', country: 'NL' },
        evidence: [0, -1, 1.5, ...Array.from({ length: 40 }, (_, i) => i + 1)],
      }),
    );
    const view = posted.at(-1)!;
    assert.equal(view.key.length, ALERT_LIMITS.keyChars);
    assert.ok(view.key.startsWith('k?xxx'));
    assert.equal(view.summary, 'line one?line two?[31m');
    assert.equal(view.fields.note, 'tab?here?');
    assert.equal((view.fields.long as string).length, ALERT_LIMITS.fieldTextChars);
    assert.equal((view.fields.list as number[]).length, ALERT_LIMITS.fieldListItems);
    assert.equal(view.fields.inf, null);
    assert.equal('Bad-Key' in view.fields || 'nested' in view.fields, false);
    assert.deepEqual(view.fields.dropped_fields, [
      'context.user_id',
      'context.src_ip',
      'Bad-Key',
      'evidence',
      'nested',
    ]);
    assert.deepEqual(
      view.evidence,
      Array.from({ length: 32 }, (_, i) => i + 9),
      'the last 32 valid seqs',
    );
    assert.equal(view.context.user_id, null);
    assert.equal(view.context.src_ip, null);
    assert.equal(view.context.country, 'NL');
    assert.match(
      logs.join('\n'),
      /warn alert otp_stuffing: left out .*context\.user_id, context\.src_ip, Bad-Key/,
    );
  });

  it('keeps the fields within 4 KiB, dropping the last keys first and naming them', async () => {
    const sink = createAlertSink({ db: database.db, audit, log, webhook });
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'z'.repeat(250)]));
    await sink.raise(alertOf({ fields }));
    const row = await database.db.alert.findFirstOrThrow({ orderBy: { id: 'desc' } });
    assert.ok(Buffer.byteLength(row.fields) <= ALERT_LIMITS.fieldsBytes, `${Buffer.byteLength(row.fields)}`);
    const view = posted.at(-1)!;
    assert.ok('f0' in view.fields && 'f10' in view.fields);
    assert.ok(!('f29' in view.fields));
    assert.deepEqual((view.fields.dropped_fields as string[]).slice(0, 2), ['f29', 'f28']);
  });

  it('a bad rule id or severity is refused before anything is kept', async () => {
    const sink = createAlertSink({ db: database.db, audit, log });
    const rows = await database.db.alert.count();
    const events = await database.db.auditEvent.count();
    for (const bad of [{ rule: 'Bad Rule' }, { rule: 'a' }, { severity: 'info' as 'warning' }]) {
      await assert.rejects(sink.raise(alertOf(bad)), (e) => isViworksError(e, 'VIW_E_VALIDATION'));
    }
    assert.equal(await database.db.alert.count(), rows);
    assert.equal(await database.db.auditEvent.count(), events);
  });

  it('an audit failure keeps the row (audit_seq null), logs, still posts, and resolves', async () => {
    logs.length = 0;
    const failing = {
      record: async () => Promise.reject(Object.assign(new Error('disk full at /x'), { code: 'ENOSPC' })),
    };
    const sink = createAlertSink({ db: database.db, audit: failing, log, webhook });
    await sink.raise(alertOf({ rule: 'dns_leak' }));
    const row = await database.db.alert.findFirstOrThrow({ orderBy: { id: 'desc' } });
    assert.equal(row.rule, 'dns_leak');
    assert.equal(row.auditSeq, null);
    assert.equal(posted.at(-1)!.id, row.id);
    assert.equal(posted.at(-1)!.audit_seq, null);
    assert.deepEqual(logs, [`error alert ${row.id} (dns_leak): audit event not recorded (ENOSPC)`]);
  });
});

describe('AuditService: a pseudonym given as user_id', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let audit: AuditService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-alert-pseudo-'));
    database = await openDatabase({ dataDir: dir });
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is recorded as it is; an internal id still becomes its pseudonym', async () => {
    const given = await audit.record({
      component: 'backend',
      action: 'alert.x_y',
      result: 'success',
      user_id: PSEUDONYM,
    });
    assert.equal(given.event.user_id, PSEUDONYM);
    const made = await audit.record({
      component: 'backend',
      action: 'auth.login',
      result: 'success',
      userAuditId: 'a-1',
    });
    assert.equal(made.event.user_id, audit.userPseudonym('a-1'));
    assert.notEqual(made.event.user_id, 'a-1');
  });

  it('refuses anything but a pseudonym, and both forms at once', async () => {
    const count = await database.db.auditEvent.count();
    for (const user_id of ['a-1', 'alice', `u-${'AB12'.repeat(6)}`, `u-${'ab12'.repeat(6)}0`]) {
      await assert.rejects(
        audit.record({ component: 'backend', action: 'alert.x_y', result: 'success', user_id }),
        (e) => isViworksError(e, 'VIW_E_VALIDATION'),
        user_id,
      );
    }
    await assert.rejects(
      audit.record({
        component: 'backend',
        action: 'alert.x_y',
        result: 'success',
        user_id: PSEUDONYM,
        userAuditId: 'a-1',
      }),
      (e) => isViworksError(e, 'VIW_E_VALIDATION'),
    );
    assert.equal(await database.db.auditEvent.count(), count);
  });
});
