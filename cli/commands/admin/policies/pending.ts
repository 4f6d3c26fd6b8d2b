import { Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { ListPolicyChangesReply, POLICY_CHANGE_STATUSES } from '../../../../core/api/admin-policies.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

export const AdminPoliciesPendingResultSchema = v1(ListPolicyChangesReply.properties);
export type AdminPoliciesPendingResult = Static<typeof AdminPoliciesPendingResultSchema>;

/** Changes that widen access and wait for a second administrator (or, with --status, decided ones). */
export default class AdminPoliciesPending extends AdminCommand<AdminPoliciesPendingResult> {
  static override summary = 'List changes waiting for a second administrator';
  static override examples = [
    '<%= config.bin %> admin policies pending',
    '<%= config.bin %> admin policies pending --status all --json',
  ];
  static override flags = {
    ...pageFlags,
    status: Flags.option({
      options: [...POLICY_CHANGE_STATUSES, 'all'] as const,
      default: 'pending',
      description: 'Which changes',
    })(),
  };

  async run(): Promise<AdminPoliciesPendingResult> {
    const { flags } = await this.parse(AdminPoliciesPending);
    const reply = await (await this.adminClient()).listPolicyChanges({
      ...pageQuery(flags),
      status: flags.status,
    });
    if (reply.changes.length === 0)
      this.log(`No ${flags.status === 'all' ? '' : `${flags.status} `}changes.`);
    else {
      const rows = reply.changes.map((c) => [
        c.id,
        c.status,
        c.author ?? c.author_id,
        c.status === 'pending' ? c.expires_at : (c.decided_at ?? '-'),
        c.summary,
      ]);
      this.log(formatTable(['ID', 'STATUS', 'AUTHOR', 'EXPIRES/DECIDED', 'CHANGE'], rows));
      this.log(
        'Details: viworks admin policies diff --change ID; decide: viworks admin policies approve|reject ID',
      );
    }
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
