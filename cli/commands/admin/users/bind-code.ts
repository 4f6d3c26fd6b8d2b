import { Args, Flags } from '@oclif/core';
import { renderUnicodeCompact } from 'uqr';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminUsersBindCodeResult } from '../../../lib/admin-results.js';

/** The bind link as a QR code the phone's camera opens: half-block characters, two rows a line. */
const qrText = (url: string): string => renderUnicodeCompact(url, { border: 2 });

/** A one-time code that binds the user's phone (shown once; 10 minutes). */
export default class AdminUsersBindCode extends AdminCommand<AdminUsersBindCodeResult> {
  static override summary = "Issue a one-time code that binds the user's phone (shown once, 10 minutes)";
  static override description =
    'Prints the code, the phone app link that carries it, and that link as a QR code to scan with the ' +
    "phone's camera. The phone binds through an attested WebAuthn credential (docs/phone-protocol.md); " +
    "a new phone replaces the user's previous one. Hand it to the user over a channel you trust: " +
    'whoever holds the code within 10 minutes can bind a phone to the account.';
  static override examples = [
    '<%= config.bin %> admin users bind-code alice',
    '<%= config.bin %> admin users bind-code alice --no-qr',
    '<%= config.bin %> admin users bind-code alice --json',
  ];
  static override args = { user: Args.string({ required: true, description: 'User id or username' }) };
  static override flags = {
    qr: Flags.boolean({ default: true, allowNo: true, description: 'Print the bind link as a QR code' }),
  };

  async run(): Promise<AdminUsersBindCodeResult> {
    const { args, flags } = await this.parse(AdminUsersBindCode);
    const client = await this.adminClient();
    const reply = await client.bindCode(await this.userId(client, args.user));
    this.log(`bind code: ${reply.code}  (one use, until ${reply.expires_at})`);
    this.log(`bind link: ${reply.bind_url}`);
    if (flags.qr) this.log(qrText(reply.bind_url));
    return { v: 1, ...reply };
  }
}
