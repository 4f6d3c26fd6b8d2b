import type { Static } from 'typebox';
import { ControlKeyReply } from '../../../../core/api/admin-gateways.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { v1 } from '../../../lib/results.js';

/** `admin gateways control-key`: the backend's SSH control public key (never the private key). */
export const AdminGatewaysControlKeyResultSchema = v1(ControlKeyReply.properties);
export type AdminGatewaysControlKeyResult = Static<typeof AdminGatewaysControlKeyResultSchema>;

/** Prints the line a gateway node's authorized_keys needs (behind its forced command). */
export default class AdminGatewaysControlKey extends AdminCommand<AdminGatewaysControlKeyResult> {
  static override summary = "Print the backend's SSH control public key for a gateway's authorized_keys";
  static override examples = ['<%= config.bin %> admin gateways control-key'];

  async run(): Promise<AdminGatewaysControlKeyResult> {
    await this.parse(AdminGatewaysControlKey);
    const reply = await (await this.adminClient()).gatewayControlKey();
    this.log(reply.public_key);
    return { v: 1, ...reply };
  }
}
