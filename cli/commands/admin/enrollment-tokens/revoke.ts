import { Args } from '@oclif/core';
import { AdminCommand, checkId } from '../../../lib/admin-command.js';
import type { AdminTokenRevokeResult } from '../../../lib/admin-results.js';

/** Revokes an enrollment token: no further device can enroll with it. */
export default class AdminEnrollmentTokensRevoke extends AdminCommand<AdminTokenRevokeResult> {
  static override summary = 'Revoke an enrollment token';
  /** The topic's earlier name, kept working (the route is /admin/enrollment-tokens). */
  static override aliases = ['admin:enroll-tokens:revoke'];
  static override examples = ['<%= config.bin %> admin enrollment-tokens revoke 0190f3c2-…'];
  static override args = {
    id: Args.string({ required: true, description: 'Token id (enrollment-tokens list)' }),
  };

  async run(): Promise<AdminTokenRevokeResult> {
    const { args } = await this.parse(AdminEnrollmentTokensRevoke);
    const client = await this.adminClient();
    const reply = await client.revokeEnrollmentToken(checkId(args.id, 'enroll-token'));
    this.log(`Enrollment token ${reply.enrollment_token.id}: ${reply.enrollment_token.state}`);
    return { v: 1, ...reply };
  }
}
