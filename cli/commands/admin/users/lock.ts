import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUserActionResult } from '../../../lib/admin-results.js';

/** Lock a user: ends their admin and VPN sessions. */
export default class AdminUsersLock extends AdminCommand<AdminUserActionResult> {
  static override summary = 'Lock a user: ends their admin and VPN sessions';
  static override examples = ['<%= config.bin %> admin users lock alice'];
  static override args = { user: Args.string({ required: true, description: 'User id or username' }) };

  async run(): Promise<AdminUserActionResult> {
    const { args } = await this.parse(AdminUsersLock);
    const client = await this.adminClient();
    const reply = await client.lockUser(await this.userId(client, args.user));
    this.log(
      `${reply.user.username}: ${reply.user.locked ? 'locked' : 'unlocked'}; VPN sessions ended: ${reply.ended_sessions}`,
    );
    return { v: 1, ...reply };
  }
}
