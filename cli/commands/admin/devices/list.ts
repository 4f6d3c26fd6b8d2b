import { Flags } from '@oclif/core';
import { DEVICE_STATUSES } from '../../../../core/api/admin.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminDevicesListResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/** Lists enrolled desktops, newest first. */
export default class AdminDevicesList extends AdminCommand<AdminDevicesListResult> {
  static override summary = 'List desktop devices';
  static override examples = ['<%= config.bin %> admin devices list --status pending_approval'];
  static override flags = {
    ...pageFlags,
    status: Flags.option({ options: DEVICE_STATUSES, description: 'Only devices in this state' })(),
    user: Flags.string({ description: 'Only devices of this user (id or username)' }),
  };

  async run(): Promise<AdminDevicesListResult> {
    const { flags } = await this.parse(AdminDevicesList);
    const client = await this.adminClient();
    const reply = await client.listDevices({
      ...pageQuery(flags),
      ...(flags.status ? { status: flags.status } : {}),
      ...(flags.user ? { user_id: await this.userId(client, flags.user) } : {}),
    });
    const rows = reply.devices.map((d) => [
      d.id,
      d.username,
      d.status,
      d.platform,
      d.key_protection,
      d.fingerprint.slice(0, 16),
      d.created_at,
    ]);
    this.log(formatTable(['ID', 'USER', 'STATUS', 'PLATFORM', 'KEY', 'FINGERPRINT', 'CREATED'], rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
