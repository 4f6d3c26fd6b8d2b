import { Flags } from '@oclif/core';
import { AdminCommand, checkId, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminSessionsListResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/** Lists VPN sessions (live ones by default). */
export default class AdminSessionsList extends AdminCommand<AdminSessionsListResult> {
  static override summary = 'List VPN sessions';
  static override examples = [
    '<%= config.bin %> admin sessions list',
    '<%= config.bin %> admin sessions list --state all --user alice',
  ];
  static override flags = {
    ...pageFlags,
    state: Flags.option({
      options: ['live', 'ended', 'all'] as const,
      default: 'live' as const,
      description: 'Which sessions',
    })(),
    user: Flags.string({ description: 'Only sessions of this user (id or username)' }),
    device: Flags.string({ description: 'Only sessions of this device id' }),
  };

  async run(): Promise<AdminSessionsListResult> {
    const { flags } = await this.parse(AdminSessionsList);
    const client = await this.adminClient();
    const reply = await client.listSessions({
      ...pageQuery(flags),
      state: flags.state,
      ...(flags.user ? { user_id: await this.userId(client, flags.user) } : {}),
      ...(flags.device ? { device_id: checkId(flags.device, 'device') } : {}),
    });
    const rows = reply.sessions.map((s) => [
      s.id,
      s.state,
      s.username,
      s.gateway_name,
      s.created_at,
      s.ended_at ? `${s.ended_at} (${s.end_reason ?? '?'})` : `expires ${s.expires_at}`,
    ]);
    this.log(formatTable(['ID', 'STATE', 'USER', 'GATEWAY', 'STARTED', 'END'], rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
