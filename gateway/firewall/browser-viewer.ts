// Where the node's firewall meets the isolated browsers (issue #18, gateway/browser/): the viewer's
// port on the VPN server address (nginx, gateway/render/nginx-conf.ts) and the node's ends of the
// sandboxes' veth pairs. Here, below both the renderers and the verbs, so the iptables baseline,
// the sandbox names and the viewer agree on one set of values.
import type { GatewaySettings } from '../../core/gateway/control.js';
import { intToIp, vpnPool } from './ipv4.js';

/** The viewer's port on the VPN server address (plain HTTP: it is inside the tunnel). */
export const VIEWER_HTTP_PORT = 8080;
/** Where the sandboxes' /30s come from; must not overlap the VPN pool. */
export const SANDBOX_POOL = '10.255.0.0/16';
/** Prefix of the node's end of each sandbox's veth (`vwbn<10 hex>`; the sandbox's end is `vwbs…`). */
export const SANDBOX_NODE_IF_PREFIX = 'vwbn';
export const SANDBOX_IF_PREFIX = 'vwbs';

/** The node's VPN server address: the first host of the pool (OpenVPN's `server` takes it). */
export function vpnServerAddress(settings: Pick<GatewaySettings, 'vpn_network'>): string {
  return intToIp(vpnPool(settings.vpn_network).net.base + 1);
}
