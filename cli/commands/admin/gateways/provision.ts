import { Args } from '@oclif/core';
import type { Static } from 'typebox';
import { GATEWAY_NAME_PATTERN, ProvisionGatewayReply } from '../../../../core/api/admin-gateways.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { usageError } from '../../../lib/output.js';
import { v1 } from '../../../lib/results.js';

/** `admin gateways provision`: the gateway after apply_config and the SPA key sync. */
export const AdminGatewaysProvisionResultSchema = v1(ProvisionGatewayReply.properties);
export type AdminGatewaysProvisionResult = Static<typeof AdminGatewaysProvisionResultSchema>;

/** The gateway name argument, checked before it reaches a URL. */
export function checkGatewayName(name: string): string {
  if (!new RegExp(GATEWAY_NAME_PATTERN).test(name)) {
    throw usageError('Not a gateway name', 'List them: viworks admin gateways list');
  }
  return name;
}

/** Pushes configuration and every enrolled device's SPA keys to a node; it becomes active. */
export default class AdminGatewaysProvision extends AdminCommand<AdminGatewaysProvisionResult> {
  static override summary = 'Provision a gateway node over SSH: configuration, certificates, SPA keys';
  static override examples = ['<%= config.bin %> admin gateways provision default'];
  static override args = {
    name: Args.string({ required: true, description: 'Gateway name (admin gateways list)' }),
  };

  async run(): Promise<AdminGatewaysProvisionResult> {
    const { args } = await this.parse(AdminGatewaysProvision);
    const name = checkGatewayName(args.name);
    this.progress(`Provisioning ${name} over SSH…`);
    const reply = await (await this.adminClient()).provisionGateway(name);
    const g = reply.gateway;
    this.log(
      `Gateway ${g.name}: ${g.status}, config ${g.config_id ?? '-'}${reply.changed ? '' : ' (unchanged)'}; SPA keys synced: ${reply.spa_keys_synced}`,
    );
    return { v: 1, ...reply };
  }
}
