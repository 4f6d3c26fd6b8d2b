import { Args, Flags } from '@oclif/core';
import { USER_ROLES } from '../../../../core/api/admin.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUsersCreateResult } from '../../../lib/admin-results.js';

/** Creates an account with a one-time password, shown once; the user replaces it at first login. */
export default class AdminUsersCreate extends AdminCommand<AdminUsersCreateResult> {
  static override summary = 'Create a user (prints a one-time password, once)';
  static override examples = [
    '<%= config.bin %> admin users create alice',
    '<%= config.bin %> admin users create bob --role Operator --json',
  ];
  static override args = {
    username: Args.string({
      required: true,
      description: 'Lower case, 2-64 characters: letters, digits, . _ @ -',
    }),
  };
  static override flags = {
    role: Flags.option({
      options: USER_ROLES,
      default: 'User' as const,
      description: 'Role of the new account',
    })(),
  };

  async run(): Promise<AdminUsersCreateResult> {
    const { args, flags } = await this.parse(AdminUsersCreate);
    const client = await this.adminClient();
    const reply = await client.createUser(args.username, flags.role);
    this.log(`Created ${reply.user.username} (${reply.user.role}), id ${reply.user.id}.`);
    this.log(`One-time password (shown once; it must be changed at first login): ${reply.one_time_password}`);
    return { v: 1, ...reply };
  }
}
