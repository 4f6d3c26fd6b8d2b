// The gateway's IPv4 filter baseline (docs/architecture.md#gateway-firewall), as input for
// `iptables-restore --noflush`.
//
// Deliberate deviation from that baseline: there is NO accept rule for the SPA UDP port. fwknopd reads SPA
// packets with libpcap, which sees them before netfilter, so it needs none; with one, the kernel
// answers every probe of that port with ICMP port-unreachable (nothing is bound to it) and so reveals
// the gateway. The TLS port is opened only by fwknopd's own per-source rules in FWKNOP_INPUT.
//
// Our rules live in our own chain VIWORKS_INPUT. `--noflush` keeps every other chain (fwknopd's
// FWKNOP_INPUT and its jump, Docker's...) and only sets the built-in policies; declaring
// `:VIWORKS_INPUT` empties that chain first, so re-applying never duplicates a rule. The jump from
// INPUT cannot be written idempotently in this format (it would be appended again each time), so
// viworks-gw adds it itself with `iptables -C` then `-A` (VIWORKS_INPUT_JUMP). Do that BEFORE the
// first restore: the restore sets INPUT to DROP, and until the jump exists even the SSH session that
// is applying the config gets no ESTABLISHED accept.
import type { GatewaySettings } from '../../core/gateway/control.js';
import {
  SANDBOX_NODE_IF_PREFIX,
  SANDBOX_POOL,
  VIEWER_HTTP_PORT,
  vpnServerAddress,
} from '../firewall/browser-viewer.js';
import { FORWARD_MARK } from '../firewall/forward-table.js';
import { type NodeFacts, validateNodeFacts } from './node-facts.js';
import { checkSettings, parseCidr, renderLines } from './values.js';

export const VIWORKS_INPUT_CHAIN = 'VIWORKS_INPUT';
/** iptables arguments of the jump rule into our chain (used with `-C`, then `-A` when missing). */
export const VIWORKS_INPUT_JUMP: readonly string[] = Object.freeze(['INPUT', '-j', VIWORKS_INPUT_CHAIN]);
/**
 * What tunnel clients may reach through the gateway is decided per session by the forwarding table
 * (`inet viworks_gw`, gateway/firewall/forward-table.ts: the session's policy networks, or the
 * pushed routes until it has one), which runs first on the forward hook and marks what it allows.
 * This chain accepts from the tunnel only from the VPN pool and only with that mark, so without the
 * table nothing from the tunnel is forwarded. Everything else a client sends (redirect-gateway
 * sends it all here) dies at the FORWARD policy. Replies come back through the conntrack accept.
 */
export const VIWORKS_FORWARD_CHAIN = 'VIWORKS_FORWARD';
export const VIWORKS_FORWARD_JUMP: readonly string[] = Object.freeze([
  'FORWARD',
  '-j',
  VIWORKS_FORWARD_CHAIN,
]);
/** The OpenVPN server's device name pattern (`dev tun` gets tun0, tun1, …). */
const TUNNEL_DEVICES = 'tun+';
/** `--mark value/mask` for the forwarding table's bit, as `iptables -S` prints it back. */
const FORWARD_MARK_MATCH = `0x${FORWARD_MARK.toString(16)}/0x${FORWARD_MARK.toString(16)}`;

export function renderIptablesRules(settings: GatewaySettings, facts: NodeFacts): string {
  const s = checkSettings(settings);
  const f = validateNodeFacts(facts);
  const rule = (spec: string) => `-A ${VIWORKS_INPUT_CHAIN} ${spec}`;
  // Canonical network form (what `iptables -S` prints back), sorted and de-duplicated: same input set,
  // same bytes.
  const backends = [
    ...new Set(
      s.backend_cidrs.map((c, i) => {
        const n = parseCidr(`backend_cidrs[${i}]`, c);
        return `${n.network}/${n.prefix}`;
      }),
    ),
  ].sort();
  return renderLines([
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    `:${VIWORKS_INPUT_CHAIN} - [0:0]`,
    rule('-i lo -j ACCEPT'),
    rule('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
    ...backends.map((cidr) => rule(`-s ${cidr} -p tcp -m tcp --dport ${f.sshPort} -j ACCEPT`)),
    // The isolated browsers' viewer (nginx on the VPN server address): from the tunnel's pool only;
    // nginx then admits each session's address to its own path only.
    rule(
      `-s ${pool(s)} -d ${vpnServerAddress(s)}/32 -i ${TUNNEL_DEVICES} -p tcp -m tcp --dport ${VIEWER_HTTP_PORT} -j ACCEPT`,
    ),
    `:${VIWORKS_FORWARD_CHAIN} - [0:0]`,
    `-A ${VIWORKS_FORWARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${VIWORKS_FORWARD_CHAIN} -s ${pool(s)} -i ${TUNNEL_DEVICES} -m mark --mark ${FORWARD_MARK_MATCH} -j ACCEPT`,
    // A sandbox's new connections to its granted targets: its own nft table marks exactly those.
    `-A ${VIWORKS_FORWARD_CHAIN} -s ${SANDBOX_POOL} -i ${SANDBOX_NODE_IF_PREFIX}+ -m mark --mark ${FORWARD_MARK_MATCH} -j ACCEPT`,
    'COMMIT',
  ]);
}

function pool(s: GatewaySettings): string {
  const n = parseCidr('vpn_network', s.vpn_network);
  return `${n.network}/${n.prefix}`;
}
