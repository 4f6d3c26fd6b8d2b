import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkGroupName, checkPolicyName, pendingText } from '../../../lib/admin-policies.js';
import { usageError } from '../../../lib/output.js';
import { type AdminPoliciesAssignmentResult, subjectFlags } from './assign.js';

/**
 * Removes a user's or a group's assignment of this policy. Its users fall back to the next
 * assignment or the broad built-in default — when that is wider, the change waits for approval.
 */
export default class AdminPoliciesUnassign extends AdminCommand<AdminPoliciesAssignmentResult> {
  static override summary = 'Remove a policy from a user or a group';
  static override examples = ['<%= config.bin %> admin policies unassign office --group staff'];
  static override args = { name: Args.string({ required: true, description: 'Policy name' }) };
  static override flags = subjectFlags;

  async run(): Promise<AdminPoliciesAssignmentResult> {
    const { args, flags } = await this.parse(AdminPoliciesUnassign);
    const name = checkPolicyName(args.name);
    if (flags.user === undefined && flags.group === undefined) throw usageError('Give --user or --group');
    const client = await this.adminClient();
    const reply = await client.unassignPolicy(name, {
      ...(flags.user !== undefined ? { user_id: await this.userId(client, flags.user) } : {}),
      ...(flags.group !== undefined ? { group: checkGroupName(flags.group) } : {}),
    });
    if (reply.status === 'pending') this.log(pendingText(reply.change));
    else
      this.log(
        `Policy ${reply.assignment.policy} removed from ${reply.assignment.subject_type} ${reply.assignment.subject}.`,
      );
    return { v: 1, ...reply };
  }
}
