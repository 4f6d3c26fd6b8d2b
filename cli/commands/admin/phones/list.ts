import { Flags } from '@oclif/core';
import type { Static } from 'typebox';
import { ListPhonesReply, PHONE_STATUSES } from '../../../../core/api/admin-phones.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin phones list`: one page of phones, as the admin API answers (newest first). */
export const AdminPhonesListResultSchema = v1(ListPhonesReply.properties);
export type AdminPhonesListResult = Static<typeof AdminPhonesListResultSchema>;

/** Lists the phones bound to users, with the verdict of the attestation each proved at bind. */
export default class AdminPhonesList extends AdminCommand<AdminPhonesListResult> {
  static override summary = 'List bound phones and their attestation verdicts';
  static override examples = [
    '<%= config.bin %> admin phones list',
    '<%= config.bin %> admin phones list --user alice --status all --json',
  ];
  static override flags = {
    ...pageFlags,
    user: Flags.string({ description: 'Only phones of this user (id or username)' }),
    status: Flags.option({
      options: [...PHONE_STATUSES, 'all'] as const,
      default: 'active' as const,
      description: 'active: bound now; revoked: replaced by a newer bind',
    })(),
  };

  async run(): Promise<AdminPhonesListResult> {
    const { flags } = await this.parse(AdminPhonesList);
    const client = await this.adminClient();
    const reply = await client.listPhones({
      ...pageQuery(flags),
      status: flags.status,
      ...(flags.user ? { user_id: await this.userId(client, flags.user) } : {}),
    });
    if (reply.phones.length === 0) this.log('No phones.');
    else {
      const rows = reply.phones.map((p) => [
        p.id,
        p.username,
        p.platform,
        `${p.attestation_verdict.toUpperCase()} (${p.attestation_type}${p.attestation_format ? `, ${p.attestation_format}` : ''})`,
        p.bound_at,
        p.last_seen_at ?? '-',
        p.status,
      ]);
      this.log(formatTable(['ID', 'USER', 'PLATFORM', 'ATTESTATION', 'BOUND', 'LAST SEEN', 'STATUS'], rows));
    }
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
