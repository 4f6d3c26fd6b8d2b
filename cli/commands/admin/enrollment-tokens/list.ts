import { Flags } from '@oclif/core';
import { TOKEN_STATES } from '../../../../core/api/admin.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminTokensListResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/** Lists fleet enrollment tokens (never the secret itself, which only `create` shows). */
export default class AdminEnrollmentTokensList extends AdminCommand<AdminTokensListResult> {
  static override summary = 'List enrollment tokens';
  /** The topic's earlier name, kept working (the route is /admin/enrollment-tokens). */
  static override aliases = ['admin:enroll-tokens:list'];
  static override examples = ['<%= config.bin %> admin enrollment-tokens list --state valid'];
  static override flags = {
    ...pageFlags,
    state: Flags.option({ options: TOKEN_STATES, description: 'Only tokens in this state' })(),
  };

  async run(): Promise<AdminTokensListResult> {
    const { flags } = await this.parse(AdminEnrollmentTokensList);
    const client = await this.adminClient();
    const reply = await client.listEnrollmentTokens({
      ...pageQuery(flags),
      ...(flags.state ? { state: flags.state } : {}),
    });
    const rows = reply.enrollment_tokens.map((t) => [
      t.id,
      t.state,
      `${t.uses}/${t.max_uses}`,
      t.expires_at,
      t.auto_approve ? 'yes' : 'no',
      t.tags.join(',') || '-',
    ]);
    this.log(formatTable(['ID', 'STATE', 'USES', 'EXPIRES', 'AUTO-APPROVE', 'TAGS'], rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
