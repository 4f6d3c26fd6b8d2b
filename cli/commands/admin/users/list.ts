import { Flags } from '@oclif/core';
import { USER_ROLES } from '../../../../core/api/admin.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminUsersListResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/** Lists accounts, newest first, one page at a time. */
export default class AdminUsersList extends AdminCommand<AdminUsersListResult> {
  static override summary = 'List users';
  static override examples = [
    '<%= config.bin %> admin users list --role Admin',
    '<%= config.bin %> admin users list --locked --json',
  ];
  static override flags = {
    ...pageFlags,
    role: Flags.option({ options: USER_ROLES, description: 'Only this role' })(),
    locked: Flags.boolean({
      allowNo: true,
      description: 'Only locked (--locked) or unlocked (--no-locked) users',
    }),
  };

  async run(): Promise<AdminUsersListResult> {
    const { flags } = await this.parse(AdminUsersList);
    const client = await this.adminClient();
    const reply = await client.listUsers({
      ...pageQuery(flags),
      ...(flags.role ? { role: flags.role } : {}),
      ...(flags.locked === undefined ? {} : { locked: flags.locked ? 'true' : 'false' }),
    });
    const rows = reply.users.map((u) => [
      u.id,
      u.username,
      u.role,
      u.locked ? 'locked' : '-',
      u.totp_enrolled ? 'yes' : 'no',
      u.last_login_at ?? '-',
    ]);
    this.log(formatTable(['ID', 'USERNAME', 'ROLE', 'LOCKED', 'TOTP', 'LAST LOGIN'], rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
