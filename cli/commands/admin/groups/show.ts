import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { ShowGroupReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkGroupName } from '../../../lib/admin-policies.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

export const AdminGroupsShowResultSchema = v1(ShowGroupReply.properties);
export type AdminGroupsShowResult = Static<typeof AdminGroupsShowResultSchema>;

/** A group, its policy assignment and its members. */
export default class AdminGroupsShow extends AdminCommand<AdminGroupsShowResult> {
  static override summary = 'Show a group and its members';
  static override examples = ['<%= config.bin %> admin groups show sales'];
  static override args = { name: Args.string({ required: true, description: 'Group name' }) };

  async run(): Promise<AdminGroupsShowResult> {
    const { args } = await this.parse(AdminGroupsShow);
    const reply = await (await this.adminClient()).showGroup(checkGroupName(args.name));
    const g = reply.group;
    this.log(`Group ${g.name}${g.description ? ` — ${g.description}` : ''}`);
    this.log(
      g.policy
        ? `Policy: ${g.policy.name} (priority ${g.policy.priority})`
        : 'Policy: none (members get their own or another group’s policy, else the default)',
    );
    this.log(`Members: ${g.members}`);
    if (reply.members.length > 0)
      this.log(
        formatTable(
          ['USERNAME', 'USER ID', 'ADDED'],
          reply.members.map((m) => [m.username, m.user_id, m.added_at]),
        ),
      );
    return { v: 1, ...reply };
  }
}
