// `viworks admin audit export|integrity|verify` against the REAL backend (pinned HTTPS), in-process
// as `Cmd.run(argv)`: the export to a new file and to stdout, its --json result, refusals before and
// after the request; the integrity report; a verification with its exit code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { csvHeader } from '../../../../core/audit/export-format.js';
import type { AdminTestServer } from '../../../../server/testing/admin-fixtures.js';
import { type CliAdminBackend, startCliAdminBackend } from '../../../testing/admin-backend.js';
import { errJson, okJson } from '../../../testing/assert.js';
import { runCommand } from '../../../testing/run.js';
import AuditExport, { AdminAuditExportResultSchema, ExportTally } from './export.js';
import AuditIntegrity, { AdminAuditIntegrityResultSchema } from './integrity.js';
import AuditVerify, { AdminAuditVerifyResultSchema } from './verify.js';

describe('viworks admin audit export|integrity|verify (real backend)', () => {
  let cli: CliAdminBackend;
  let t: AdminTestServer;
  let dir: string;
  const login = (role: 'Auditor' | 'Operator', username: string) => cli.login(role, username);

  before(async () => {
    cli = await startCliAdminBackend('viw-cli-audit-');
    ({ t, dir } = cli);
    for (let i = 0; i < 3; i++)
      await t.ctx.audit.record({ component: 'backend', action: 'test.cli', result: 'success' });
    await login('Auditor', 'audit.auditor');
  });
  after(async () => cli?.stop());

  it('export --out: a new 0600 file with every event, and the --json result that describes it', async () => {
    const out = join(dir, 'trail.ndjson');
    const r = okJson(await runCommand(AuditExport, ['--out', out, '--json']), AdminAuditExportResultSchema);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const total = await t.ctx.db.auditEvent.count();
    assert.deepEqual(
      [r.format, r.out, r.rows, r.last_seq, r.capped, r.next_cursor],
      ['ndjson', out, total, total, false, null],
    );
    assert.equal(lines.length, total);
    assert.equal(r.bytes, statSync(out).size);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    // An existing file is refused and left as it was.
    errJson(await runCommand(AuditExport, ['--out', out, '--json']), 2, 'VIW_E_VALIDATION');
    assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, total);
  });

  it('export to stdout: the CSV itself, filtered; --json without --out is a usage error', async () => {
    const r = await runCommand(AuditExport, ['--format', 'csv', '--action', 'test.cli']);
    assert.equal(r.exitCode, 0, r.stderr);
    const rows = r.stdout.split('\r\n');
    assert.equal(`${rows[0]}\r\n`, csvHeader());
    assert.equal(rows.filter((l) => l.includes(',test.cli,')).length, 3);
    assert.deepEqual(rows.slice(4), ['']);
    errJson(await runCommand(AuditExport, ['--json']), 2, 'VIW_E_VALIDATION');
    errJson(
      await runCommand(AuditExport, ['--from', 'yesterday', '--out', join(dir, 'x.csv'), '--json']),
      2,
      'VIW_E_VALIDATION',
    );
    assert.equal(existsSync(join(dir, 'x.csv')), false, 'a refused export leaves no file');
  });

  it('integrity and verify: the report, an intact verification remembered by integrity', async () => {
    const v = okJson(await runCommand(AuditVerify, ['--json']), AdminAuditVerifyResultSchema);
    assert.equal(v.ok, true);
    const i = okJson(await runCommand(AuditIntegrity, ['--json']), AdminAuditIntegrityResultSchema);
    const { v: _version, ...view } = v;
    assert.deepEqual(i.last_verification, view);
    const text = await runCommand(AuditIntegrity, []);
    assert.match(text.stdout, /^Chain: +\d+ events, head \d+ [0-9a-f]{64}$/m);
    assert.match(text.stdout, /^Verified: +intact at /m);
  });

  it('an Operator may not read the audit: exit 4 VIW_E_FORBIDDEN, and no file is left', async () => {
    await login('Operator', 'audit.operator');
    const out = join(dir, 'denied.ndjson');
    errJson(await runCommand(AuditExport, ['--out', out, '--json']), 4, 'VIW_E_FORBIDDEN');
    assert.equal(existsSync(out), false);
    errJson(await runCommand(AuditVerify, ['--json']), 4, 'VIW_E_FORBIDDEN');
  });
});

describe('export tally', () => {
  it('counts rows and the last seq across any chunking, for both formats', () => {
    const ndjson = '{"seq":1,"a":"x"}\n{"seq":2,"a":"y"}\n{"seq":17,"a":"z"}\n';
    const csv = `${csvHeader()}1,a,b\r\n2,"c,d",e\r\n9,f,g\r\n`;
    for (const [format, text, rows, last] of [
      ['ndjson', ndjson, 3, 17],
      ['csv', csv, 3, 9],
    ] as const) {
      for (const cut of [1, 3, 1000]) {
        const tally = new ExportTally(format);
        for (let i = 0; i < text.length; i += cut) tally.add(text.slice(i, i + cut));
        assert.deepEqual([tally.rows, tally.lastSeq], [rows, last], `${format} in chunks of ${cut}`);
      }
    }
    const header = new ExportTally('csv');
    header.add(csvHeader());
    assert.deepEqual([header.rows, header.lastSeq], [0, null], 'the CSV header is no row');
  });
});
