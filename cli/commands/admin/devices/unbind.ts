import { Args } from '@oclif/core';
import { AdminCommand, checkId } from '../../../lib/admin-command.js';
import type { AdminDeviceActionResult } from '../../../lib/admin-results.js';

/** Unbind a device: revokes it and ends its VPN sessions. */
export default class AdminDevicesUnbind extends AdminCommand<AdminDeviceActionResult> {
  static override summary = 'Unbind a device: revokes it and ends its VPN sessions';
  static override examples = ['<%= config.bin %> admin devices unbind 0190f3c2-…'];
  static override args = {
    id: Args.string({ required: true, description: 'Device id (admin devices list)' }),
  };

  async run(): Promise<AdminDeviceActionResult> {
    const { args } = await this.parse(AdminDevicesUnbind);
    const client = await this.adminClient();
    const reply = await client.unbindDevice(checkId(args.id, 'device'));
    this.log(
      `Device ${reply.device.id} of ${reply.device.username}: ${reply.device.status}; VPN sessions ended: ${reply.ended_sessions}`,
    );
    return { v: 1, ...reply };
  }
}
