import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { GroupReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkGroupName } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin groups delete`: the group as it was. */
export const AdminGroupsDeleteResultSchema = v1(GroupReply.properties);
export type AdminGroupsDeleteResult = Static<typeof AdminGroupsDeleteResultSchema>;

/** Deletes a group with no policy assignment (unassign it first; its memberships go with it). */
export default class AdminGroupsDelete extends AdminCommand<AdminGroupsDeleteResult> {
  static override summary = 'Delete a group (it must have no policy assigned)';
  static override examples = ['<%= config.bin %> admin groups delete sales'];
  static override args = { name: Args.string({ required: true, description: 'Group name' }) };

  async run(): Promise<AdminGroupsDeleteResult> {
    const { args } = await this.parse(AdminGroupsDelete);
    const reply = await (await this.adminClient()).deleteGroup(checkGroupName(args.name));
    this.log(`Group ${reply.group.name} deleted (${reply.group.members} membership(s) removed).`);
    return { v: 1, ...reply };
  }
}
