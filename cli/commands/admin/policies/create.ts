import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { PolicyVersionReply } from '../../../../core/api/admin-policies.js';
import type { PolicyDocument } from '../../../../core/api/policy.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkPolicyName, documentFlag, readDocument } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin policies create`: the policy and its version 1. */
export const AdminPoliciesCreateResultSchema = v1(PolicyVersionReply.properties);
export type AdminPoliciesCreateResult = Static<typeof AdminPoliciesCreateResultSchema>;

/**
 * Creates a policy from a JSON document (docs/policies.md): it becomes version 1. A new policy
 * applies to no one until it is assigned, so it never waits for approval.
 */
export default class AdminPoliciesCreate extends AdminCommand<AdminPoliciesCreateResult> {
  static override summary = 'Create an access policy from a JSON document (version 1)';
  static override examples = [
    '<%= config.bin %> admin policies create office --file office.json',
    'cat office.json | <%= config.bin %> admin policies create office --file -',
  ];
  static override args = {
    name: Args.string({ required: true, description: 'Policy name (a-z 0-9 . _ -)' }),
  };
  static override flags = { file: documentFlag };

  async run(): Promise<AdminPoliciesCreateResult> {
    const { args, flags } = await this.parse(AdminPoliciesCreate);
    const name = checkPolicyName(args.name);
    // The backend checks the document whole (schema and the rules a schema cannot say).
    const document = (await readDocument(flags.file)) as PolicyDocument;
    const reply = await (await this.adminClient()).createPolicy(name, document);
    this.log(`Policy ${reply.policy.name} created: version 1 (${reply.policy.policy_id}).`);
    this.log(`Assign it: viworks admin policies assign ${reply.policy.name} --group GROUP | --user USER`);
    return { v: 1, ...reply };
  }
}
