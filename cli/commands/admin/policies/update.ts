import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { PolicyVersionAppliedReply } from '../../../../core/api/admin-policies.js';
import type { PolicyDocument } from '../../../../core/api/policy.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import {
  appliedOrPending,
  checkPolicyName,
  documentFlag,
  pendingText,
  readDocument,
} from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin policies update`: the new version (`status: "applied"`), or the held change (`"pending"`). */
export const AdminPoliciesUpdateResultSchema = appliedOrPending(v1(PolicyVersionAppliedReply.properties));
export type AdminPoliciesUpdateResult = Static<typeof AdminPoliciesUpdateResultSchema>;

/**
 * Writes a new version of a policy. A version that narrows access (or changes nothing that grants
 * it) is in force at once; one that widens access waits for a second administrator.
 */
export default class AdminPoliciesUpdate extends AdminCommand<AdminPoliciesUpdateResult> {
  static override summary = 'Write a new version of a policy (held for approval when it widens access)';
  static override examples = ['<%= config.bin %> admin policies update office --file office-v2.json'];
  static override args = { name: Args.string({ required: true, description: 'Policy name' }) };
  static override flags = { file: documentFlag };

  async run(): Promise<AdminPoliciesUpdateResult> {
    const { args, flags } = await this.parse(AdminPoliciesUpdate);
    const name = checkPolicyName(args.name);
    const document = (await readDocument(flags.file)) as PolicyDocument;
    const reply = await (await this.adminClient()).updatePolicy(name, document);
    if (reply.status === 'pending') this.log(pendingText(reply.change));
    else this.log(`Policy ${reply.policy.name}: version ${reply.version.version} is in force.`);
    return { v: 1, ...reply };
  }
}
