import { Args } from '@oclif/core';
import { AdminCommand, checkId } from '../../../lib/admin-command.js';
import type { AdminSessionTerminateResult } from '../../../lib/admin-results.js';

/** Ends a live VPN session: the client is told at once and its certificate revoked. */
export default class AdminSessionsTerminate extends AdminCommand<AdminSessionTerminateResult> {
  static override summary = 'Terminate a VPN session';
  static override examples = ['<%= config.bin %> admin sessions terminate 0190f3c2-…'];
  static override args = { id: Args.string({ required: true, description: 'Session id (sessions list)' }) };

  async run(): Promise<AdminSessionTerminateResult> {
    const { args } = await this.parse(AdminSessionsTerminate);
    const client = await this.adminClient();
    const reply = await client.terminateSession(checkId(args.id, 'session'));
    this.log(`Session ${reply.session.id} of ${reply.session.username}: ${reply.session.state}`);
    return { v: 1, ...reply };
  }
}
