import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { GatewayHealthReply } from '../../../../core/api/admin-gateways.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { formatTable } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';
import { checkGatewayName } from './provision.js';

/** `admin gateways health`: what the node reports now. */
export const AdminGatewaysHealthResultSchema = v1(GatewayHealthReply.properties);
export type AdminGatewaysHealthResult = Static<typeof AdminGatewaysHealthResultSchema>;

/** Asks a node for its services, live sessions and configuration now. */
export default class AdminGatewaysHealth extends AdminCommand<AdminGatewaysHealthResult> {
  static override summary = "Ask a gateway node for its services' health now";
  static override examples = ['<%= config.bin %> admin gateways health default'];
  static override args = {
    name: Args.string({ required: true, description: 'Gateway name (admin gateways list)' }),
  };

  async run(): Promise<AdminGatewaysHealthResult> {
    const { args } = await this.parse(AdminGatewaysHealth);
    const name = checkGatewayName(args.name);
    const reply = await (await this.adminClient()).gatewayHealth(name);
    const h = reply.health;
    const rows = Object.entries(h.services).map(([svc, s]) => [
      svc,
      s.running ? 'running' : 'STOPPED',
      String(s.pid ?? '-'),
    ]);
    this.log(formatTable(['SERVICE', 'STATE', 'PID'], rows));
    this.log(
      `viworks-gw ${h.version}; sessions: ${h.sessions.length}; SPA keys: ${h.spa_keys}; config ${h.config_id ?? '-'}${reply.config_drift ? ' (DRIFT: not what the backend applied)' : ''}`,
    );
    const p = reply.policy_in_effect;
    this.log(
      p === null
        ? 'policies: the node does not report its forwarding table'
        : p.in_effect
          ? 'policies: every live session has its current version in force'
          : `policies: NOT in effect${p.table_loaded ? '' : ' (forwarding table not loaded)'}${p.behind.length > 0 ? `; behind: ${p.behind.join(', ')}` : ''}`,
    );
    return { v: 1, ...reply };
  }
}
