import { Args, Flags } from '@oclif/core';
import { type Static, Type } from 'typebox';
import { PolicyVersionReply, ShowPolicyReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkPolicyName } from '../../../lib/admin-policies.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin policies show NAME`: current version, versions, assignments; with --version: that version. */
export const AdminPoliciesShowResultSchema = Type.Union([
  v1(ShowPolicyReply.properties),
  v1(PolicyVersionReply.properties),
]);
export type AdminPoliciesShowResult = Static<typeof AdminPoliciesShowResultSchema>;

/** A policy: its document (current, or the version asked for), its versions and its assignments. */
export default class AdminPoliciesShow extends AdminCommand<AdminPoliciesShowResult> {
  static override summary = 'Show a policy: its document, versions and assignments';
  static override examples = [
    '<%= config.bin %> admin policies show office',
    '<%= config.bin %> admin policies show office --version 2 --json',
  ];
  static override args = { name: Args.string({ required: true, description: 'Policy name' }) };
  static override flags = {
    version: Flags.integer({ min: 1, description: 'This version instead of the current one' }),
  };

  async run(): Promise<AdminPoliciesShowResult> {
    const { args, flags } = await this.parse(AdminPoliciesShow);
    const name = checkPolicyName(args.name);
    const client = await this.adminClient();
    if (flags.version !== undefined) {
      const reply = await client.policyVersion(name, flags.version);
      const v = reply.version;
      this.log(`Policy ${reply.policy.name} version ${v.version} (current: ${reply.policy.current_version})`);
      this.log(
        `Written by ${v.author ?? v.author_id} at ${v.created_at}${v.approver ? `, approved by ${v.approver}` : ''}`,
      );
      this.log(JSON.stringify(v.document, null, 2));
      return { v: 1, ...reply };
    }
    const reply = await client.showPolicy(name);
    const p = reply.policy;
    this.log(
      `Policy ${p.name} (${p.policy_id}), version ${p.current_version} in force since ${p.updated_at}`,
    );
    this.log('');
    this.log(
      formatTable(
        ['VERSION', 'AUTHOR', 'APPROVER', 'WRITTEN'],
        reply.versions.map((v) => [
          String(v.version),
          v.author ?? v.author_id,
          v.approver ?? '-',
          v.created_at,
        ]),
      ),
    );
    this.log('');
    this.log(
      reply.assignments.length === 0
        ? 'Assigned to no one.'
        : formatTable(
            ['ASSIGNED TO', 'NAME', 'PRIORITY'],
            reply.assignments.map((a) => [
              a.subject_type,
              a.subject,
              a.priority === null ? '-' : String(a.priority),
            ]),
          ),
    );
    this.log('');
    this.log(JSON.stringify(reply.current.document, null, 2));
    return { v: 1, ...reply };
  }
}
