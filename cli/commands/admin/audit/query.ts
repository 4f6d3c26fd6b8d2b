import { Flags } from '@oclif/core';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminAuditQueryResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/** Reads the audit log (pseudonymous user ids; admin actors are in `cmd`). */
export default class AdminAuditQuery extends AdminCommand<AdminAuditQueryResult> {
  static override summary = 'Query the audit log';
  static override examples = [
    '<%= config.bin %> admin audit query --action admin. --from 2030-01-31T00:00:00Z',
    '<%= config.bin %> admin audit query --result denied --json',
  ];
  static override flags = {
    ...pageFlags,
    order: Flags.option({ options: ['asc', 'desc'] as const, description: 'By sequence (default desc)' })(),
    from: Flags.string({ description: 'From this time, inclusive (ISO-8601 UTC)' }),
    to: Flags.string({ description: 'Before this time (ISO-8601 UTC)' }),
    action: Flags.string({ description: 'Action prefix, e.g. admin. or auth.login' }),
    result: Flags.option({
      options: ['success', 'failure', 'denied', 'error'] as const,
      description: 'Only this result',
    })(),
    user: Flags.string({ description: 'Pseudonym (u-…) of the user the event is about' }),
    actor: Flags.string({ description: 'Pseudonym (u-…) of the acting administrator' }),
    session: Flags.string({ description: 'Session id' }),
  };

  async run(): Promise<AdminAuditQueryResult> {
    const { flags } = await this.parse(AdminAuditQuery);
    const client = await this.adminClient();
    const optional = {
      order: flags.order,
      from: flags.from,
      to: flags.to,
      action_prefix: flags.action,
      result: flags.result,
      user_id: flags.user,
      actor: flags.actor,
      session_id: flags.session,
    };
    const query = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
    const reply = await client.queryAudit({ ...pageQuery(flags), ...query });
    const rows = reply.events.map(({ seq, event: e }) => [
      String(seq),
      e.timestamp,
      e.action,
      e.result,
      e.user_id ?? '-',
      e.error_code ?? '-',
    ]);
    this.log(formatTable(['SEQ', 'TIME', 'ACTION', 'RESULT', 'USER', 'ERROR'], rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
