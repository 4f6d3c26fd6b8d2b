import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { PolicyChangeReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkChangeId } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin policies approve` and `reject`: the change as decided. */
export const AdminPoliciesDecisionResultSchema = v1(PolicyChangeReply.properties);
export type AdminPoliciesDecisionResult = Static<typeof AdminPoliciesDecisionResultSchema>;

/**
 * Approves another administrator's pending change: it is applied at once, in one transaction.
 * The author of a change cannot approve it; an expired or decided change cannot be approved.
 */
export default class AdminPoliciesApprove extends AdminCommand<AdminPoliciesDecisionResult> {
  static override summary = 'Approve and apply a pending change (never your own)';
  static override examples = ['<%= config.bin %> admin policies approve 0190f3c2-…'];
  static override args = { id: Args.string({ required: true, description: 'Change id (policies pending)' }) };

  async run(): Promise<AdminPoliciesDecisionResult> {
    const { args } = await this.parse(AdminPoliciesApprove);
    const reply = await (await this.adminClient()).approvePolicyChange(checkChangeId(args.id));
    const c = reply.change;
    this.log(
      `Approved and in force: ${c.summary}${c.applied_version === null ? '' : ` (version ${c.applied_version})`}.`,
    );
    return { v: 1, ...reply };
  }
}
