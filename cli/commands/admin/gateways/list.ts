import type { Static, TSchema } from 'typebox';
import { ListGatewaysReply } from '../../../../core/api/admin-gateways.js';
import { strictValidator } from '../../../../core/schema/strict.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { adminToken, loadAdminSession } from '../../../lib/admin-session.js';
import { CliError, formatTable } from '../../../lib/output.js';
import { pinnedJsonRequest } from '../../../lib/pinned-https.js';
import { v1 } from '../../../lib/results.js';

/**
 * One call to /admin/gateways… with the stored admin session, the reply checked against its schema
 * (a mismatch is a backend/CLI version mismatch: internal). Shared by the `admin gateways` commands;
 * its place is AdminClient (cli/lib/admin-client.ts), which these commands will call once it has
 * the gateway methods.
 */
export async function gatewayRequest<S extends TSchema>(
  schema: S,
  method: 'GET' | 'POST',
  path: string,
  json?: unknown,
): Promise<Static<S>> {
  const session = loadAdminSession();
  const token = session ? await adminToken(session) : null;
  if (!session || !token)
    throw new CliError('VIW_E_AUTH_REQUIRED', { message: 'No admin session on this machine' });
  const reply = await pinnedJsonRequest(session, method, path, {
    headers: { authorization: `Bearer ${token}` },
    ...(json === undefined ? {} : { json }),
  });
  return strictValidator(schema).parse(reply.body, 'VIW_E_INTERNAL') as Static<S>;
}

/** `admin gateways list`: every registered gateway node. */
export const AdminGatewaysListResultSchema = v1(ListGatewaysReply.properties);
export type AdminGatewaysListResult = Static<typeof AdminGatewaysListResultSchema>;

/** Lists gateway nodes: status, SSH address, pinned host key, last health. */
export default class AdminGatewaysList extends AdminCommand<AdminGatewaysListResult> {
  static override summary = 'List gateway nodes';
  static override examples = ['<%= config.bin %> admin gateways list'];

  async run(): Promise<AdminGatewaysListResult> {
    await this.parse(AdminGatewaysList);
    const reply = await gatewayRequest(ListGatewaysReply, 'GET', '/admin/gateways');
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
