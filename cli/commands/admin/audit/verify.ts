import type { Static } from 'typebox';
import { AuditVerificationView } from '../../../../core/api/admin-audit.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { EXIT } from '../../../lib/exit-codes.js';
import { v1 } from '../../../lib/results.js';

/** `admin audit verify`: the verification's outcome; exit 4 when the trail is broken. */
export const AdminAuditVerifyResultSchema = v1(AuditVerificationView.properties);
export type AdminAuditVerifyResult = Static<typeof AdminAuditVerifyResultSchema>;

/** Runs the backend's audit verifier over its database now (rate-limited, audited). */
export default class AdminAuditVerify extends AdminCommand<AdminAuditVerifyResult> {
  static override summary = 'Verify the audit trail in the database against its signed manifests now';
  static override description =
    'The same verifier as `viworks-server audit verify`, run by the backend over its database: the ' +
    'hash chain, the signed batches and checkpoints. Exit 4 when it found a problem; the first one ' +
    'is named (numbers only). At most twice a minute across all administrators.';
  static override examples = [
    '<%= config.bin %> admin audit verify',
    '<%= config.bin %> admin audit verify --json',
  ];

  async run(): Promise<AdminAuditVerifyResult> {
    await this.parse(AdminAuditVerify);
    this.progress('Verifying the audit trail (this reads every event)…');
    const v = await (await this.adminClient()).verifyAudit();
    if (v.ok)
      this.log(
        `Audit trail intact: ${v.events} events, ${v.batches_verified} signed batches, ${v.checkpoints} checkpoints (${v.duration_ms} ms).`,
      );
    else {
      this.log(`Audit trail BROKEN: ${v.findings} findings.`);
      if (v.first_problem) this.log(`First: ${v.first_problem.message}`);
      process.exitCode = EXIT.policy;
    }
    return { v: 1, ...v };
  }
}
