import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUserActionResult } from '../../../lib/admin-results.js';

/** Unlock a user (also lifts a failed-login lockout). */
export default class AdminUsersUnlock extends AdminCommand<AdminUserActionResult> {
  static override summary = 'Unlock a user (also lifts a failed-login lockout)';
  static override examples = ['<%= config.bin %> admin users unlock alice'];
  static override args = { user: Args.string({ required: true, description: 'User id or username' }) };

  async run(): Promise<AdminUserActionResult> {
    const { args } = await this.parse(AdminUsersUnlock);
    const client = await this.adminClient();
    const reply = await client.unlockUser(await this.userId(client, args.user));
    this.log(
      `${reply.user.username}: ${reply.user.locked ? 'locked' : 'unlocked'}; VPN sessions ended: ${reply.ended_sessions}`,
    );
    return { v: 1, ...reply };
  }
}
