import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkChangeId } from '../../../lib/admin-policies.js';
import type { AdminPoliciesDecisionResult } from './approve.js';

/** Rejects a pending change: nothing is applied. Its author may withdraw their own change this way. */
export default class AdminPoliciesReject extends AdminCommand<AdminPoliciesDecisionResult> {
  static override summary = 'Reject a pending change (or withdraw your own)';
  static override examples = ['<%= config.bin %> admin policies reject 0190f3c2-…'];
  static override args = { id: Args.string({ required: true, description: 'Change id (policies pending)' }) };

  async run(): Promise<AdminPoliciesDecisionResult> {
    const { args } = await this.parse(AdminPoliciesReject);
    const reply = await (await this.adminClient()).rejectPolicyChange(checkChangeId(args.id));
    this.log(`Rejected: ${reply.change.summary}. Nothing was applied.`);
    return { v: 1, ...reply };
  }
}
