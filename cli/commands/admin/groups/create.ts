import { Args, Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { GroupReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkGroupName } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin groups create`: the new group (no members, no policy). */
export const AdminGroupsCreateResultSchema = v1(GroupReply.properties);
export type AdminGroupsCreateResult = Static<typeof AdminGroupsCreateResultSchema>;

/** Creates a group; assign it a policy with `admin policies assign NAME --group GROUP`. */
export default class AdminGroupsCreate extends AdminCommand<AdminGroupsCreateResult> {
  static override summary = 'Create a group of users';
  static override examples = ['<%= config.bin %> admin groups create sales --description "Sales team"'];
  static override args = { name: Args.string({ required: true, description: 'Group name (a-z 0-9 . _ -)' }) };
  static override flags = {
    description: Flags.string({ description: 'What the group is for (printable ASCII, ≤ 200)' }),
  };

  async run(): Promise<AdminGroupsCreateResult> {
    const { args, flags } = await this.parse(AdminGroupsCreate);
    const client = await this.adminClient();
    const reply = await client.createGroup({
      name: checkGroupName(args.name),
      ...(flags.description === undefined ? {} : { description: flags.description }),
    });
    this.log(`Group ${reply.group.name} created.`);
    return { v: 1, ...reply };
  }
}
