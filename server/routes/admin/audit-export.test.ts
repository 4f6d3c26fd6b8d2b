// GET /admin/audit/export through the real Fastify app: the same events as /admin/audit with the
// same filters, oldest first; NDJSON that `audit verify --ndjson` accepts as a copy of the trail;
// CSV with its fixed header, quoting and formula guard; capped, continued by cursor; audited.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditRecordViewT } from '../../../core/api/admin.js';
import { AUDIT_CSV_COLUMNS, csvHeader } from '../../../core/audit/export-format.js';
import { exportRecords } from '../../services/admin/audit-export.js';
import { verifyAuditTrail } from '../../services/audit/copies.js';
import { publishedAuditKeys } from '../../services/audit/keys.js';
import {
  type AdminTestServer,
  bearer,
  createAccount,
  refusal,
  sessionFor,
  startAdminTestServer,
} from '../../testing/admin-fixtures.js';

describe('admin API: audit export', () => {
  let t: AdminTestServer;
  let auditor: string;
  let auditorPseudonym: string;
  let dir: string;
  before(async () => {
    t = await startAdminTestServer();
    dir = mkdtempSync(join(tmpdir(), 'viw-export-'));
    const a = await createAccount(t.ctx, 'Auditor');
    auditor = await sessionFor(t.ctx, a.user);
    auditorPseudonym = t.ctx.audit.userPseudonym(a.user.auditId);
    const admin = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Admin')).user);
    for (let i = 0; i < 3; i++) {
      const r = await t.srv.call('/admin/users', {
        headers: bearer(admin),
        json: { username: `exp-${i}`, role: 'User' },
      });
      assert.equal(r.status, 201);
    }
    // Text an attacker could get into an event, aimed at an analyst's spreadsheet.
    await t.ctx.audit.record({
      component: 'backend',
      action: 'test.formula',
      result: 'failure',
      error_msg: '=HYPERLINK("http://evil.example","click"), ok',
    });
  });
  after(async () => {
    await t.srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const download = (qs: string, token = auditor) =>
    t.srv.call<string>(`/admin/audit/export?${qs}`, { headers: bearer(token) });
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');

  it('NDJSON: every event oldest first in the audit.ndjson format, a copy the verifier accepts', async () => {
    const res = await download('format=ndjson');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    assert.match(
      String(res.headers['content-disposition']),
      /^attachment; filename="viworks-audit-\d{8}T\d{6}Z\.ndjson"$/,
    );
    assert.equal(res.headers['cache-control'], 'no-store');
    const records = lines(res.text).map((l) => JSON.parse(l) as Record<string, unknown>);
    const total = await t.ctx.db.auditEvent.count();
    assert.deepEqual(
      records.map((r) => r.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const last = await t.ctx.db.auditEvent.findFirstOrThrow({ where: { seq: BigInt(total) } });
    assert.deepEqual([records.at(-1)!.hash, records.at(-1)!.prev_hash], [last.hash, last.prevHash]);
    // The export itself is audited before its first byte, so it is in the file.
    const own = records.at(-1)!;
    assert.deepEqual(
      [own.action, own.cmd, own.error_msg],
      ['admin.audit_export', auditorPseudonym, 'format ndjson'],
    );

    const file = join(dir, 'export.ndjson');
    writeFileSync(file, res.text);
    /** The offline verifier (`viworks-server audit verify --ndjson`) over the database and the file. */
    const verifyExport = (ndjson: string) =>
      verifyAuditTrail({
        db: t.ctx.db,
        databaseLocation: 'test',
        dataDir: t.srv.dataDir,
        keys: publishedAuditKeys(t.srv.dataDir),
        ndjson,
        lagGraceS: 600,
      });
    const verified = await verifyExport(file);
    const copy = verified.sources.find((s) => s.source === 'ndjson')!;
    assert.deepEqual(copy.findings, []);
    assert.equal(copy.events, total);
    // Near miss: the same file with one field changed is caught.
    writeFileSync(file, res.text.replace('"result":"failure"', '"result":"success"'));
    const edited = await verifyExport(file);
    assert.ok(
      edited.sources.find((s) => s.source === 'ndjson')!.findings.some((f) => f.kind === 'event_edited'),
    );
  });

  it('takes the filters of /admin/audit with the same meaning, and continues after a cursor', async () => {
    const query = await t.srv.call<{ events: AuditRecordViewT[] }>(
      '/admin/audit?order=asc&action_prefix=admin.user_c&limit=200',
      {
        headers: bearer(auditor),
      },
    );
    const exported = lines((await download('action_prefix=admin.user_c')).text).map(
      (l) => JSON.parse(l).seq as number,
    );
    assert.equal(exported.length, 3);
    assert.deepEqual(
      exported,
      query.body.events.map((e) => e.seq),
    );
    const rest = lines((await download(`action_prefix=admin.user_c&cursor=${exported[0]}`)).text).map(
      (l) => JSON.parse(l).seq,
    );
    assert.deepEqual(rest, exported.slice(1));
    assert.equal(
      lines(
        (await download(`actor=${auditorPseudonym}&action_prefix=admin.audit_export&result=failure`)).text,
      ).length,
      0,
    );
  });

  it('CSV: the fixed header, one row per event, text quoted and formulas defused', async () => {
    const res = await download('format=csv&action_prefix=test.formula');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8; header=present');
    const [header, row, ...more] = res.text.split('\r\n');
    assert.equal(`${header}\r\n`, csvHeader());
    assert.deepEqual(more, ['']);
    const cells = row!.split(',');
    assert.equal(cells[AUDIT_CSV_COLUMNS.indexOf('action')], 'test.formula');
    // The message holds a comma, so the cell is quoted; it starts with =, so it is defused.
    assert.ok(row!.includes(`"'=HYPERLINK(""http://evil.example"",""click""), ok"`), row);
  });

  it('stops at the row cap; the cursor of the last row continues the export', async () => {
    const total = await t.ctx.db.auditEvent.count();
    const pages: number[][] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const seqs: number[] = [];
      for await (const page of exportRecords(t.ctx, cursor ? { cursor } : {}, 4))
        seqs.push(...page.map((r) => r.seq));
      assert.ok(seqs.length <= 4);
      if (seqs.length === 0) break;
      pages.push(seqs);
      cursor = String(seqs.at(-1));
    }
    assert.deepEqual(
      pages.flat(),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.ok(pages.slice(0, -1).every((p) => p.length === 4));
  });

  it('refuses an Operator (no audit:read, audited), no session, and malformed filters', async () => {
    const operator = await sessionFor(t.ctx, (await createAccount(t.ctx, 'Operator')).user);
    assert.deepEqual(refusal(await download('format=csv', operator)), {
      code: 'VIW_E_FORBIDDEN',
      status: 403,
    });
    const denied = await t.ctx.db.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
    assert.match(denied.event, /"action":"admin.access_denied".*"error_msg":"audit:read"/);
    assert.deepEqual(refusal(await t.srv.call('/admin/audit/export')), {
      code: 'VIW_E_AUTH_REQUIRED',
      status: 401,
    });
    for (const qs of ['format=xlsx', 'cursor=abc', 'from=yesterday', 'user_id=alice', 'limit=5']) {
      const r = refusal(await download(qs));
      assert.equal(r.status, 400, qs);
    }
    assert.deepEqual(refusal(await download('order=desc')), { code: 'VIW_E_UNKNOWN_FIELD', status: 400 });
  });
});
