import type { Static } from 'typebox';
import { ListPoliciesReply } from '../../../../core/api/admin-policies.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

export const AdminPoliciesListResultSchema = v1(ListPoliciesReply.properties);
export type AdminPoliciesListResult = Static<typeof AdminPoliciesListResultSchema>;

/** Lists policies by name with their current version and how many users and groups they hold. */
export default class AdminPoliciesList extends AdminCommand<AdminPoliciesListResult> {
  static override summary = 'List access policies';
  static override examples = ['<%= config.bin %> admin policies list'];

  async run(): Promise<AdminPoliciesListResult> {
    await this.parse(AdminPoliciesList);
    const reply = await (await this.adminClient()).listPolicies();
    const rows = reply.policies.map((p) => [
      p.name,
      `v${p.current_version}`,
      String(p.assigned_users),
      String(p.assigned_groups),
      p.updated_at,
    ]);
    this.log(formatTable(['NAME', 'VERSION', 'USERS', 'GROUPS', 'UPDATED'], rows));
    this.log('Users and groups without an assignment get the built-in default (p-default).');
    return { v: 1, ...reply };
  }
}
