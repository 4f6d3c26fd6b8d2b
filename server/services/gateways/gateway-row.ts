// Registering a gateway's row (admin `gateways add`, or the approval of one held for a second
// administrator: server/services/policy/admin-apply.ts), in the caller's transaction or client.
// Fills the backend's pending, unpinned `default` row, or creates a new one; never replaces a
// pinned or live row (its host key pin is never replaced).
import type { AddGatewayBodyT, GatewayRowSettingsT } from '../../../core/api/admin-gateways.js';
import { DEFAULT_FW_ACCESS_TIMEOUT_S, DEFAULT_VPN_NETWORK } from '../../../core/api/admin-gateways.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Gateway, Prisma } from '../../data/client.js';

type GatewayWriter = Pick<Prisma.TransactionClient, 'gateway'>;

export function settingsOf(body: AddGatewayBodyT): GatewayRowSettingsT {
  const s = body.settings;
  return {
    vpn_network: s.vpn_network ?? DEFAULT_VPN_NETWORK,
    push_routes: s.push_routes ?? [],
    push_dns: s.push_dns ?? [],
    redirect_gateway: s.redirect_gateway ?? true,
    backend_cidrs: s.backend_cidrs,
    fw_access_timeout_s: s.fw_access_timeout_s ?? DEFAULT_FW_ACCESS_TIMEOUT_S,
  };
}

/** Writes the row; VIW_E_CONFLICT when a gateway of that name is already registered. */
export async function writeGatewayRow(db: GatewayWriter, body: AddGatewayBodyT): Promise<Gateway> {
  const data = {
    fqdn: body.fqdn,
    addresses: JSON.stringify(body.addresses),
    sshHost: body.ssh_host,
    sshPort: body.ssh_port,
    sshUser: body.ssh_user ?? 'root',
    sshHostKeyFingerprint: body.ssh_host_key_fingerprint,
    settings: JSON.stringify(settingsOf(body)),
  };
  const filled = await db.gateway.updateMany({
    where: { name: body.name, status: 'pending', sshHostKeyFingerprint: '' },
    data,
  });
  if (filled.count !== 1) {
    try {
      await db.gateway.create({ data: { name: body.name, status: 'pending', ...data } });
    } catch (err) {
      if ((err as { code?: string }).code !== 'P2002') throw err;
      throw new ViworksError('VIW_E_CONFLICT', {
        details: [`a gateway named ${body.name} is already registered; its host key pin is never replaced`],
      });
    }
  }
  return db.gateway.findUniqueOrThrow({ where: { name: body.name } });
}
