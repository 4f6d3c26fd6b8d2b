import { Args, Flags } from '@oclif/core';
import { type Static, Type } from 'typebox';
import { PolicyChangeReply, PolicyDiffReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { checkChangeId, checkPolicyName } from '../../../lib/admin-policies.js';
import { usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** Two versions: `{v, policy, from, to, diff, relaxations}`; a change (--change): `{v, change}`. */
export const AdminPoliciesDiffResultSchema = Type.Union([
  v1(PolicyDiffReply.properties),
  v1(PolicyChangeReply.properties),
]);
export type AdminPoliciesDiffResult = Static<typeof AdminPoliciesDiffResultSchema>;

/**
 * A line diff of canonical pretty JSON: between two versions of a policy (default: the current one
 * and the one before), or what a pending change would do (--change ID), with what it relaxes.
 */
export default class AdminPoliciesDiff extends AdminCommand<AdminPoliciesDiffResult> {
  static override summary = 'Diff two versions of a policy, or show what a pending change does';
  static override examples = [
    '<%= config.bin %> admin policies diff office',
    '<%= config.bin %> admin policies diff office --from 1 --to 3',
    '<%= config.bin %> admin policies diff --change 0190f3c2-…',
  ];
  static override args = { name: Args.string({ description: 'Policy name (not with --change)' }) };
  static override flags = {
    from: Flags.integer({ min: 1, description: 'Older version (default: the one before --to)' }),
    to: Flags.integer({ min: 1, description: 'Newer version (default: the current one)' }),
    change: Flags.string({
      description: 'A pending (or decided) change instead of two versions',
      exclusive: ['from', 'to'],
    }),
  };

  async run(): Promise<AdminPoliciesDiffResult> {
    const { args, flags } = await this.parse(AdminPoliciesDiff);
    if ((args.name === undefined) === (flags.change === undefined))
      throw usageError('Give a policy name, or --change ID');
    const client = await this.adminClient();
    if (flags.change !== undefined) {
      const reply = await client.showPolicyChange(checkChangeId(flags.change));
      const c = reply.change;
      this.log(`Change ${c.id} (${c.status}) by ${c.author ?? c.author_id}: ${c.summary}`);
      if (c.reasons.length > 0) this.log(['Widens access:', ...c.reasons.map((r) => `  - ${r}`)].join('\n'));
      this.log(c.diff);
      return { v: 1, ...reply };
    }
    const reply = await client.diffPolicy(checkPolicyName(args.name!), {
      ...(flags.from === undefined ? {} : { from: String(flags.from) }),
      ...(flags.to === undefined ? {} : { to: String(flags.to) }),
    });
    this.log(reply.diff || `Versions ${reply.from} and ${reply.to} of ${reply.policy} are the same.`);
    this.log(
      reply.relaxations.length === 0
        ? `Version ${reply.to} grants nothing version ${reply.from} does not.`
        : ['', `Version ${reply.to} widens access:`, ...reply.relaxations.map((r) => `  - ${r}`)].join('\n'),
    );
    return { v: 1, ...reply };
  }
}
