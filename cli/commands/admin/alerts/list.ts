import { Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { ALERT_RULE_PATTERN, ALERT_SEVERITIES, ListAlertsReply } from '../../../../core/api/admin-alerts.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import { formatTable, usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin alerts list`: the alerts of one page, as the admin API answers (newest first). */
export const AdminAlertsListResultSchema = v1(ListAlertsReply.properties);
export type AdminAlertsListResult = Static<typeof AdminAlertsListResultSchema>;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** `--since`: an ISO-8601 UTC time, or an age such as 30m, 24h, 7d (counted back from now). */
export function sinceTime(value: string, now: number = Date.now()): string {
  const age = /^([1-9][0-9]{0,4})([mhd])$/.exec(value);
  if (age) return new Date(now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]).toISOString();
  if (ISO.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw usageError(
    '--since takes an ISO-8601 UTC time or an age',
    'e.g. --since 24h or --since 2030-01-31T00:00:00Z',
  );
}

/** Lists the alerts the detection rules raised: unacknowledged ones are what needs a look. */
export default class AdminAlertsList extends AdminCommand<AdminAlertsListResult> {
  static override summary = 'List the alerts of the detection rules';
  static override examples = [
    '<%= config.bin %> admin alerts list --unacked',
    '<%= config.bin %> admin alerts list --rule otp_stuffing --since 24h --json',
  ];
  static override flags = {
    ...pageFlags,
    rule: Flags.string({ description: 'Only this rule (e.g. otp_stuffing; docs/detections.md)' }),
    unacked: Flags.boolean({ description: 'Only alerts nobody acknowledged yet' }),
    severity: Flags.option({ options: ALERT_SEVERITIES, description: 'Only this severity' })(),
    since: Flags.string({ description: 'Fired at or after: ISO-8601 UTC, or an age like 30m, 24h, 7d' }),
  };

  async run(): Promise<AdminAlertsListResult> {
    const { flags } = await this.parse(AdminAlertsList);
    if (flags.rule !== undefined && !new RegExp(ALERT_RULE_PATTERN).test(flags.rule))
      throw usageError('--rule takes a rule id (snake_case)', 'e.g. --rule otp_stuffing');
    const since = flags.since === undefined ? undefined : sinceTime(flags.since);
    const reply = await (await this.adminClient()).listAlerts({
      ...pageQuery(flags),
      ...(flags.rule ? { rule: flags.rule } : {}),
      ...(flags.unacked ? { acked: 'false' as const } : {}),
      ...(flags.severity ? { severity: flags.severity } : {}),
      ...(since ? { since } : {}),
    });
    if (reply.alerts.length === 0) this.log('No alerts.');
    else {
      const rows = reply.alerts.map((a) => [
        a.id,
        a.fired_at,
        a.severity.toUpperCase(),
        a.rule,
        a.summary,
        a.acked_at ? `${a.acked_at} by ${a.acked_by ?? '?'}` : '-',
      ]);
      this.log(formatTable(['ID', 'FIRED', 'SEVERITY', 'RULE', 'SUMMARY', 'ACKED'], rows));
      this.log('Acknowledge: viworks admin alerts ack ID; evidence: viworks admin audit query --json');
    }
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
