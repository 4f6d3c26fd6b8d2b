import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkGroupName, pendingText } from '../../../lib/admin-policies.js';
import type { AdminGroupsMemberResult } from './add-member.js';

/**
 * Removes a user from a group. When the user then falls back to a wider policy (another group's,
 * or the built-in default), the change waits for a second administrator.
 */
export default class AdminGroupsRemoveMember extends AdminCommand<AdminGroupsMemberResult> {
  static override summary = 'Remove a user from a group';
  static override examples = ['<%= config.bin %> admin groups remove-member sales alice'];
  static override args = {
    group: Args.string({ required: true, description: 'Group name' }),
    user: Args.string({ required: true, description: 'User id or username' }),
  };

  async run(): Promise<AdminGroupsMemberResult> {
    const { args } = await this.parse(AdminGroupsRemoveMember);
    const client = await this.adminClient();
    const reply = await client.removeGroupMember(
      checkGroupName(args.group),
      await this.userId(client, args.user),
    );
    if (reply.status === 'pending') this.log(pendingText(reply.change));
    else
      this.log(
        `${reply.member.username} removed from group ${reply.group.name} (${reply.group.members} left).`,
      );
    return { v: 1, ...reply };
  }
}
