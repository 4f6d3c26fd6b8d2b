import { Flags } from '@oclif/core';
import { DEVICE_STATUSES, type DeviceViewT } from '../../../../core/api/admin.js';
import { postureFindings } from '../../../../core/api/posture.js';
import { AdminCommand, pageFlags, pageQuery } from '../../../lib/admin-command.js';
import type { AdminDevicesListResult } from '../../../lib/admin-results.js';
import { formatTable } from '../../../lib/output.js';

/**
 * The POSTURE cell: what the daemon declared at the device's last completed login, judged as the
 * access policy judges it — `hardened`, the failed checks (`findings: dumpable,core_limit`), or `—`
 * when that login declared none (or none completed yet). --json carries the posture itself.
 */
export function postureCell(d: Pick<DeviceViewT, 'posture'>): string {
  if (d.posture === null) return '—';
  const findings = postureFindings(d.posture);
  return findings.length === 0 ? 'hardened' : `findings: ${findings.join(',')}`;
}

/** Lists enrolled desktops, newest first, with the posture and time of each one's last login. */
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
      postureCell(d),
      d.last_login_at ?? '—',
      d.created_at,
    ]);
    const columns = [
      'ID',
      'USER',
      'STATUS',
      'PLATFORM',
      'KEY',
      'FINGERPRINT',
      'POSTURE',
      'LAST LOGIN',
      'CREATED',
    ];
    this.log(formatTable(columns, rows));
    if (reply.next_cursor) this.log(`More: --cursor ${reply.next_cursor}`);
    return { v: 1, ...reply };
  }
}
