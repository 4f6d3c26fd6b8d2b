import { Flags } from '@oclif/core';
import type { Static } from 'typebox';
import {
  type AddGatewayBodyT,
  DEFAULT_VPN_NETWORK,
  GatewayViewReply,
} from '../../../../core/api/admin-gateways.js';
import { GATEWAY_SSH_PORT } from '../../../../core/gateway/control.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { appliedOrPending, pendingText } from '../../../lib/admin-policies.js';
import { v1 } from '../../../lib/results.js';

/** `admin gateways add`: the registered gateway (pending until provisioned). */
/** Registered, or — without a full tunnel — held for a second administrator (`status: "pending"`). */
export const AdminGatewaysAddResultSchema = appliedOrPending(v1(GatewayViewReply.properties));
export type AdminGatewaysAddResult = Static<typeof AdminGatewaysAddResultSchema>;

/**
 * Registers a gateway node: its SSH address and the host key fingerprint you read on the node
 * (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), never one learned over the network. The
 * backend's own `default` gateway is registered by naming it `default`.
 */
export default class AdminGatewaysAdd extends AdminCommand<AdminGatewaysAddResult> {
  static override summary = 'Register a gateway node with its pinned SSH host key';
  static override examples = [
    '<%= config.bin %> admin gateways add --name default --fqdn gw.example.com --address 203.0.113.7 --ssh-host 10.0.0.7 --ssh-host-key SHA256:… --backend-cidr 10.0.0.2/32',
  ];
  static override flags = {
    name: Flags.string({ required: true, description: 'Gateway name (`default` is the backend’s own)' }),
    fqdn: Flags.string({ required: true, description: 'The front door clients dial' }),
    address: Flags.string({
      required: true,
      multiple: true,
      description: 'Front-door IP address (repeatable)',
    }),
    'ssh-host': Flags.string({ required: true, description: 'Address of the node’s control sshd' }),
    'ssh-port': Flags.integer({
      default: GATEWAY_SSH_PORT,
      min: 1,
      max: 65535,
      description: 'Control sshd port',
    }),
    'ssh-user': Flags.string({ description: 'Login of the control key on the node (default root)' }),
    'ssh-host-key': Flags.string({
      required: true,
      description: 'The node’s SSH host key fingerprint, SHA256:… (from the node, out of band)',
    }),
    'backend-cidr': Flags.string({
      required: true,
      multiple: true,
      description: 'Backend source allowed to reach the control port (repeatable)',
    }),
    'vpn-network': Flags.string({ default: DEFAULT_VPN_NETWORK, description: 'OpenVPN client address pool' }),
    'push-route': Flags.string({ multiple: true, description: 'Route pushed to every client (repeatable)' }),
    'push-dns': Flags.string({ multiple: true, description: 'DNS server pushed to clients (repeatable)' }),
    'redirect-gateway': Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Send all client traffic through the tunnel (--no-redirect-gateway: only pushed routes)',
    }),
    'fw-access-timeout': Flags.integer({
      min: 1,
      max: 20,
      description: 'Seconds fwknopd keeps 443 open (≤ 20)',
    }),
  };

  async run(): Promise<AdminGatewaysAddResult> {
    const { flags } = await this.parse(AdminGatewaysAdd);
    // The server validates every field (closed schema); nothing here second-guesses it.
    const body: AddGatewayBodyT = {
      name: flags.name,
      fqdn: flags.fqdn,
      addresses: flags.address,
      ssh_host: flags['ssh-host'],
      ssh_port: flags['ssh-port'],
      ...(flags['ssh-user'] ? { ssh_user: flags['ssh-user'] } : {}),
      ssh_host_key_fingerprint: flags['ssh-host-key'],
      settings: {
        backend_cidrs: flags['backend-cidr'],
        vpn_network: flags['vpn-network'],
        push_routes: flags['push-route'] ?? [],
        push_dns: flags['push-dns'] ?? [],
        redirect_gateway: flags['redirect-gateway'],
        ...(flags['fw-access-timeout'] === undefined
          ? {}
          : { fw_access_timeout_s: flags['fw-access-timeout'] }),
      },
    };
    const reply = await (await this.adminClient()).addGateway(body);
    if ('change' in reply) {
      this.log(pendingText(reply.change));
      return { v: 1, ...reply };
    }
    const g = reply.gateway;
    this.log(`Gateway ${g.name} registered: ${g.status}, host key ${g.ssh_host_key_fingerprint}.`);
    this.log(`Next: viworks admin gateways provision ${g.name}`);
    return { v: 1, ...reply };
  }
}
