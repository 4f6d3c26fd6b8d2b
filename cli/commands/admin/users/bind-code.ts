import { Args } from '@oclif/core';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUsersBindCodeResult } from '../../../lib/admin-results.js';

/** A one-time code that binds the user's phone (shown once; 10 minutes). */
export default class AdminUsersBindCode extends AdminCommand<AdminUsersBindCodeResult> {
  static override summary = "Issue a one-time code that binds the user's phone (shown once, 10 minutes)";
  static override description =
    'The phone binds with it through an attested WebAuthn credential (docs/phone-protocol.md); a new ' +
    "phone replaces the user's previous one. Hand the code to the user over a channel you trust.";
  static override examples = ['<%= config.bin %> admin users bind-code alice'];
  static override args = { user: Args.string({ required: true, description: 'User id or username' }) };

  async run(): Promise<AdminUsersBindCodeResult> {
    const { args } = await this.parse(AdminUsersBindCode);
    const client = await this.adminClient();
    const reply = await client.bindCode(await this.userId(client, args.user));
    this.log(`bind code: ${reply.code}  (one use, until ${reply.expires_at})`);
    return { v: 1, ...reply };
  }
}
