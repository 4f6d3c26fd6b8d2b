import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUsersResetResult } from '../../../lib/admin-results.js';

/** Gives a user a new one-time password (shown once) and ends their VPN sessions. */
export default class AdminUsersReset extends AdminCommand<AdminUsersResetResult> {
  static override summary = "Reset a user's password (prints a new one-time password, once)";
  static override examples = [
    '<%= config.bin %> admin users reset alice',
    '<%= config.bin %> admin users reset bob --reset-totp   # bob lost his authenticator',
  ];
  static override args = { user: Args.string({ required: true, description: 'User id or username' }) };
  static override flags = {
    'reset-totp': Flags.boolean({
      description: 'Also remove the TOTP enrollment (admin roles enroll again)',
    }),
  };

  async run(): Promise<AdminUsersResetResult> {
    const { args, flags } = await this.parse(AdminUsersReset);
    const client = await this.adminClient();
    const reply = await client.resetPassword(await this.userId(client, args.user), flags['reset-totp']);
    this.log(`${reply.user.username}: password reset; VPN sessions ended: ${reply.ended_sessions}.`);
    this.log(`One-time password (shown once; it must be changed at first login): ${reply.one_time_password}`);
    return { v: 1, ...reply };
  }
}
