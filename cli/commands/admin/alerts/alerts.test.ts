// `viworks admin alerts …` against the REAL backend (pinned HTTPS), in-process as `Cmd.run(argv)`:
// alerts raised through the real sink, listed as a table and as --json (checked against the result
// schema), filtered, acknowledged once (exit 4 the second time), and refusals with their exit codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertSink } from '../../../../server/services/detections/sink.js';
import type { AdminTestServer } from '../../../../server/testing/admin-fixtures.js';
import { type CliAdminBackend, startCliAdminBackend } from '../../../testing/admin-backend.js';
import { errJson, okJson } from '../../../testing/assert.js';
import { runCommand } from '../../../testing/run.js';
import AlertsAck, { AdminAlertsAckResultSchema } from './ack.js';
import AlertsList, { AdminAlertsListResultSchema, sinceTime } from './list.js';

describe('viworks admin alerts (real backend)', () => {
  let cli: CliAdminBackend;
  let t: AdminTestServer;
  const login = (role: 'Auditor' | 'Operator', username: string) => cli.login(role, username);

  before(async () => {
    cli = await startCliAdminBackend('viw-cli-alerts-');
    ({ t } = cli);
    const sink = createAlertSink({ db: t.ctx.db, audit: t.ctx.audit, log: console });
    const now = Date.now();
    await sink.raise({
      rule: 'otp_stuffing',
      severity: 'critical',
      key: 'u-0123456789abcdef01234567',
      summary: '7 wrong codes from 3 ASNs',
      fields: { failures: 7 },
      evidence: [1, 2],
      firedAt: new Date(now - 3 * 86_400_000),
    });
    await sink.raise({
      rule: 'dns_leak',
      severity: 'warning',
      key: 'dev-1',
      summary: 'DNS outside the tunnel on dev-1',
      fields: { resolver: '192.0.2.53' },
      evidence: [3],
      firedAt: new Date(now - 3_600_000),
    });
    await login('Operator', 'alerts.operator');
  });
  after(async () => cli?.stop());

  it('list: a table for people, the contract objects with --json, filters by rule and age', async () => {
    const all = okJson(await runCommand(AlertsList, ['--json']), AdminAlertsListResultSchema);
    assert.deepEqual(
      all.alerts.map((a) => a.rule),
      ['dns_leak', 'otp_stuffing'],
    );
    assert.equal(all.alerts[1]!.fields.failures, 7);
    assert.deepEqual(all.alerts[1]!.evidence, [1, 2]);
    assert.equal(all.next_cursor, null);

    const text = await runCommand(AlertsList, []);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /^ID\s+FIRED\s+SEVERITY\s+RULE\s+SUMMARY\s+ACKED/m);
    assert.match(text.stdout, /WARNING\s+dns_leak\s+DNS outside the tunnel on dev-1\s+-/);
    assert.ok(!text.stdout.trimStart().startsWith('{'));

    const rule = okJson(
      await runCommand(AlertsList, ['--rule', 'otp_stuffing', '--json']),
      AdminAlertsListResultSchema,
    );
    assert.deepEqual(
      rule.alerts.map((a) => a.rule),
      ['otp_stuffing'],
    );
    const recent = okJson(
      await runCommand(AlertsList, ['--since', '24h', '--json']),
      AdminAlertsListResultSchema,
    );
    assert.deepEqual(
      recent.alerts.map((a) => a.rule),
      ['dns_leak'],
    );
    const page = okJson(
      await runCommand(AlertsList, ['--limit', '1', '--json']),
      AdminAlertsListResultSchema,
    );
    assert.equal(page.alerts.length, 1);
    assert.equal(page.next_cursor, page.alerts[0]!.id);
    const none = await runCommand(AlertsList, ['--rule', 'nothing_here']);
    assert.match(none.stdout, /^No alerts\.$/m);
  });

  it('ack: once (who and when), then --unacked leaves it out; a second ack exits 4 VIW_E_CONFLICT', async () => {
    const list = okJson(await runCommand(AlertsList, ['--json']), AdminAlertsListResultSchema);
    const target = list.alerts.find((a) => a.rule === 'otp_stuffing')!;
    const acked = okJson(await runCommand(AlertsAck, [target.id, '--json']), AdminAlertsAckResultSchema);
    assert.equal(acked.alert.id, target.id);
    assert.match(acked.alert.acked_by ?? '', /^u-[0-9a-f]{24}$/);
    assert.ok(acked.alert.acked_at);

    const unacked = okJson(
      await runCommand(AlertsList, ['--unacked', '--json']),
      AdminAlertsListResultSchema,
    );
    assert.deepEqual(
      unacked.alerts.map((a) => a.rule),
      ['dns_leak'],
    );
    const err = errJson(await runCommand(AlertsAck, [target.id, '--json']), 4, 'VIW_E_CONFLICT');
    assert.match(err.details?.[0] ?? '', /already acknowledged at .* by u-/);

    const other = list.alerts.find((a) => a.rule === 'dns_leak')!;
    const text = await runCommand(AlertsAck, [other.id]);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, new RegExp(`Alert ${other.id} \\(dns_leak: .*\\) acknowledged at \\S+ by u-`));
  });

  it('refusals: a bad id or flag exits 2 before any request; an unknown alert exits 2 NOT_FOUND', async () => {
    errJson(await runCommand(AlertsAck, ['nope', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(
      await runCommand(AlertsAck, ['0190f3c2-0000-7000-8000-000000000000', '--json']),
      2,
      'VIW_E_NOT_FOUND',
    );
    errJson(await runCommand(AlertsList, ['--since', 'yesterday', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(await runCommand(AlertsList, ['--rule', 'Not A Rule', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(await runCommand(AlertsList, ['--severity', 'info', '--json']), 2, 'VIW_E_VALIDATION');
  });

  it('an Auditor lists but may not acknowledge: exit 4 VIW_E_FORBIDDEN', async () => {
    await login('Auditor', 'alerts.auditor');
    const list = okJson(await runCommand(AlertsList, ['--json']), AdminAlertsListResultSchema);
    const target = list.alerts[0]!;
    errJson(await runCommand(AlertsAck, [target.id, '--json']), 4, 'VIW_E_FORBIDDEN');
  });
});

describe('--since', () => {
  it('takes an age back from now, or an ISO-8601 UTC time; refuses anything else', () => {
    const now = Date.parse('2030-01-10T12:00:00.000Z');
    assert.equal(sinceTime('30m', now), '2030-01-10T11:30:00.000Z');
    assert.equal(sinceTime('24h', now), '2030-01-09T12:00:00.000Z');
    assert.equal(sinceTime('7d', now), '2030-01-03T12:00:00.000Z');
    assert.equal(sinceTime('2030-01-01T00:00:00Z', now), '2030-01-01T00:00:00Z');
    for (const bad of [
      '0h',
      '5w',
      '-1d',
      '2030-01-01',
      '2030-01-01T00:00:00+02:00',
      '2030-13-01T00:00:00Z',
      'now',
    ]) {
      assert.throws(() => sinceTime(bad, now), /--since/, bad);
    }
  });
});
