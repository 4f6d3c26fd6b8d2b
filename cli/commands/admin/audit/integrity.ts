import type { Static } from 'typebox';
import { AuditIntegrityReply, type AuditIntegrityReplyT } from '../../../../core/api/admin-audit.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { v1 } from '../../../lib/results.js';

/** `admin audit integrity`: GET /admin/audit/integrity as it answers. */
export const AdminAuditIntegrityResultSchema = v1(AuditIntegrityReply.properties);
export type AdminAuditIntegrityResult = Static<typeof AdminAuditIntegrityResultSchema>;

export function describeIntegrity(r: AuditIntegrityReplyT): string[] {
  const lines = [
    `Chain:        ${r.events} events${r.chain_head ? `, head ${r.chain_head.seq} ${r.chain_head.hash}` : ''}`,
  ];
  const m = r.latest_manifest;
  lines.push(
    m
      ? `Sealed:       batch ${m.batch} (events ${m.first_seq}..${m.last_seq}) at ${m.sealed_at}, signature ${m.signature}` +
          `${m.archived_at ? `, in the WORM copy since ${m.archived_at}` : ''}; ${r.unsealed_events} events not sealed yet`
      : `Sealed:       no batch yet; ${r.unsealed_events} events not sealed yet`,
  );
  const c = r.latest_checkpoint;
  lines.push(
    c
      ? `Checkpoint:   seq ${c.seq} at ${c.at}, signature ${c.signature}`
      : 'Checkpoint:   none on this instance',
  );
  const v = r.last_verification;
  lines.push(
    !v
      ? 'Verified:     never (run `viworks admin audit verify`)'
      : v.ok
        ? `Verified:     intact at ${v.at} by ${v.by} (${v.events} events, ${v.batches_verified} signed batches)`
        : `Verified:     BROKEN at ${v.at} by ${v.by}: ${v.findings} findings; first: ${v.first_problem?.message ?? '?'}`,
  );
  return lines;
}

/** What was sealed, signed and verified last. */
export default class AdminAuditIntegrity extends AdminCommand<AdminAuditIntegrityResult> {
  static override summary =
    "Show the audit trail's integrity: newest sealed batch, checkpoint, last verification";
  static override examples = [
    '<%= config.bin %> admin audit integrity',
    '<%= config.bin %> admin audit integrity --json',
  ];

  async run(): Promise<AdminAuditIntegrityResult> {
    await this.parse(AdminAuditIntegrity);
    const reply = await (await this.adminClient()).auditIntegrity();
    this.log(describeIntegrity(reply).join('\n'));
    return { v: 1, ...reply };
  }
}
