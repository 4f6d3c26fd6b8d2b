import type { Static } from 'typebox';
import { ListGatewaysReply } from '../../../../core/api/admin-gateways.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin gateways list`: every registered gateway node. */
export const AdminGatewaysListResultSchema = v1(ListGatewaysReply.properties);
export type AdminGatewaysListResult = Static<typeof AdminGatewaysListResultSchema>;

/** Lists gateway nodes: status, SSH address, pinned host key, last health. */
export default class AdminGatewaysList extends AdminCommand<AdminGatewaysListResult> {
  static override summary = 'List gateway nodes';
  static override examples = ['<%= config.bin %> admin gateways list'];

  async run(): Promise<AdminGatewaysListResult> {
    await this.parse(AdminGatewaysList);
    const reply = await (await this.adminClient()).listGateways();
    const rows = reply.gateways.map((g) => [
      g.name,
      g.status,
      g.fqdn,
      g.ssh_host ? `${g.ssh_user}@${g.ssh_host}:${g.ssh_port}` : '-',
      g.ssh_host_key_fingerprint || '(not pinned)',
      g.last_health_at ? `${g.last_health_ok ? 'ok' : 'FAILED'} ${g.last_health_at}` : '-',
    ]);
    this.log(formatTable(['NAME', 'STATUS', 'FQDN', 'SSH', 'HOST KEY', 'HEALTH'], rows));
    return { v: 1, ...reply };
  }
}
