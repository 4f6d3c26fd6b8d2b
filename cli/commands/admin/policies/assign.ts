import { Args, Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { AssignmentAppliedReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import {
  appliedOrPending,
  checkGroupName,
  checkPolicyName,
  pendingText,
} from '../../../lib/admin-policies.js';
import { usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin policies assign` and `unassign`: the assignment made or removed, or the held change. */
export const AdminPoliciesAssignmentResultSchema = appliedOrPending(v1(AssignmentAppliedReply.properties));
export type AdminPoliciesAssignmentResult = Static<typeof AdminPoliciesAssignmentResultSchema>;

/** --user / --group, exactly one (shared with `unassign`). */
export const subjectFlags = {
  user: Flags.string({ description: 'A user (id or username)', exactlyOne: ['user', 'group'] }),
  group: Flags.string({ description: 'A group (name)', exactlyOne: ['user', 'group'] }),
};

/**
 * Assigns a policy to a user or a group (replacing the subject's assignment, if any). Precedence:
 * a user's own assignment, else the lowest-priority group's, else the built-in default. When some
 * user would get wider access than now, the assignment waits for a second administrator.
 */
export default class AdminPoliciesAssign extends AdminCommand<AdminPoliciesAssignmentResult> {
  static override summary = 'Assign a policy to a user or a group';
  static override examples = [
    '<%= config.bin %> admin policies assign office --group staff --priority 10',
    '<%= config.bin %> admin policies assign contractor --user alice',
  ];
  static override args = { name: Args.string({ required: true, description: 'Policy name' }) };
  static override flags = {
    ...subjectFlags,
    priority: Flags.integer({
      min: 0,
      max: 9999,
      description: 'Group assignments: the lowest number wins (default 100)',
      exclusive: ['user'],
    }),
  };

  async run(): Promise<AdminPoliciesAssignmentResult> {
    const { args, flags } = await this.parse(AdminPoliciesAssign);
    const name = checkPolicyName(args.name);
    if (flags.user === undefined && flags.group === undefined) throw usageError('Give --user or --group');
    const client = await this.adminClient();
    const reply = await client.assignPolicy(name, {
      ...(flags.user !== undefined ? { user_id: await this.userId(client, flags.user) } : {}),
      ...(flags.group !== undefined ? { group: checkGroupName(flags.group) } : {}),
      ...(flags.priority !== undefined ? { priority: flags.priority } : {}),
    });
    if (reply.status === 'pending') this.log(pendingText(reply.change));
    else {
      const a = reply.assignment;
      this.log(
        `Policy ${a.policy} assigned to ${a.subject_type} ${a.subject}${a.priority === null ? '' : ` (priority ${a.priority})`}.`,
      );
    }
    return { v: 1, ...reply };
  }
}
