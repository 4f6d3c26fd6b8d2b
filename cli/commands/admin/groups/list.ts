import type { Static } from 'typebox';
import { ListGroupsReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

export const AdminGroupsListResultSchema = v1(ListGroupsReply.properties);
export type AdminGroupsListResult = Static<typeof AdminGroupsListResultSchema>;

/** Lists groups by name, with their member count and policy assignment. */
export default class AdminGroupsList extends AdminCommand<AdminGroupsListResult> {
  static override summary = 'List groups';
  static override examples = ['<%= config.bin %> admin groups list --json'];

  async run(): Promise<AdminGroupsListResult> {
    await this.parse(AdminGroupsList);
    const reply = await (await this.adminClient()).listGroups();
    const rows = reply.groups.map((g) => [
      g.name,
      String(g.members),
      g.policy?.name ?? '-',
      g.policy ? String(g.policy.priority) : '-',
      g.description || '-',
    ]);
    this.log(formatTable(['NAME', 'MEMBERS', 'POLICY', 'PRIORITY', 'DESCRIPTION'], rows));
    return { v: 1, ...reply };
  }
}
