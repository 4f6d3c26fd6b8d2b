import { Flags } from '@oclif/core';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminAuditQueryResult } from '../../../lib/admin-results.js';
import { auditFilterFlags, auditFilterQuery } from '../../../lib/audit-filters.js';
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
    ...auditFilterFlags,
  };

  async run(): Promise<AdminAuditQueryResult> {
    const { flags } = await this.parse(AdminAuditQuery);
    const client = await this.adminClient();
    const reply = await client.queryAudit({
      ...pageQuery(flags),
      ...(flags.order === undefined ? {} : { order: flags.order }),
      ...auditFilterQuery(flags),
    });
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
