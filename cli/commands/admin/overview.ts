import type { Static } from 'typebox';
import { OverviewReply, type OverviewReplyT } from '../../../core/api/admin-overview.js';
import { AdminCommand } from '../../lib/admin-command.js';
import { formatTable } from '../../lib/output.js';
import { v1 } from '../../lib/results.js';

/** `admin overview`: GET /admin/overview as it answers. */
export const AdminOverviewResultSchema = v1(OverviewReply.properties);
export type AdminOverviewResult = Static<typeof AdminOverviewResultSchema>;

export function describeOverview(o: OverviewReplyT): string {
  const funnel = o.funnel.stages.map(
    (s) => `${s.stage} ${s.success}${s.failed ? ` (${s.failed} failed)` : ''}`,
  );
  const g = o.gateways;
  const lines = [
    `Sessions:  ${o.sessions.live} live`,
    `Funnel:    ${funnel.join(' → ')} in the last hour${o.funnel.complete ? '' : ' (at least: too many events to count all)'}`,
    `Gateways:  ${g.total} (${g.ok} ok, ${g.failing} failing, ${g.unknown} not polled yet)`,
    `Alerts:    ${o.alerts.open} open (${o.alerts.open_critical} critical)`,
  ];
  if (g.items.length > 0) {
    const rows = g.items.map((x) => [x.name, x.status, x.health.toUpperCase(), x.last_health_at ?? '-']);
    lines.push('', formatTable(['GATEWAY', 'STATUS', 'HEALTH', 'CHECKED'], rows));
  }
  return lines.join('\n');
}

/** Live sessions, the auth funnel of the last hour, gateway health and open alerts at a glance. */
export default class AdminOverview extends AdminCommand<AdminOverviewResult> {
  static override summary = 'Live sessions, the auth funnel of the last hour, gateway health, open alerts';
  static override examples = ['<%= config.bin %> admin overview', '<%= config.bin %> admin overview --json'];

  async run(): Promise<AdminOverviewResult> {
    await this.parse(AdminOverview);
    const reply = await (await this.adminClient()).overview();
    this.log(describeOverview(reply));
    return { v: 1, ...reply };
  }
}
