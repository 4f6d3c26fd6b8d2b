import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { GroupMemberAppliedReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { appliedOrPending, checkGroupName, pendingText } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin groups add-member`: applied (`status: "applied"`), or held for approval (`"pending"`). */
export const AdminGroupsMemberResultSchema = appliedOrPending(v1(GroupMemberAppliedReply.properties));
export type AdminGroupsMemberResult = Static<typeof AdminGroupsMemberResultSchema>;

/**
 * Adds a user to a group. When the group's policy would give the user wider access than they have,
 * the change waits for a second administrator (docs/policies.md#dual-approval).
 */
export default class AdminGroupsAddMember extends AdminCommand<AdminGroupsMemberResult> {
  static override summary = 'Add a user to a group';
  static override examples = ['<%= config.bin %> admin groups add-member sales alice'];
  static override args = {
    group: Args.string({ required: true, description: 'Group name' }),
    user: Args.string({ required: true, description: 'User id or username' }),
  };

  async run(): Promise<AdminGroupsMemberResult> {
    const { args } = await this.parse(AdminGroupsAddMember);
    const client = await this.adminClient();
    const reply = await client.addGroupMember(
      checkGroupName(args.group),
      await this.userId(client, args.user),
    );
    if (reply.status === 'pending') this.log(pendingText(reply.change));
    else
      this.log(
        `${reply.member.username} added to group ${reply.group.name} (${reply.group.members} member(s)).`,
      );
    return { v: 1, ...reply };
  }
}
