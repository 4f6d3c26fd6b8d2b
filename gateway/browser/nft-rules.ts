// The two nftables rulesets of a browser sandbox, as text for `nft -f -` (pure: what reaches the
// kernel is reviewable and tested). Every value in them comes from checked input (spec.ts) or from
// names derived from a checked session id (names.ts): nothing here quotes or escapes.
//
// Inside the sandbox's namespace, table inet viworks_sandbox — the browser's whole world:
//   output: loopback (not the viewer's port), replies, and new TCP connections to the granted
//           host.port pairs; nothing else (no DNS: targets are literals; no UDP, so no QUIC and
//           no WebRTC leak).
//   input:  loopback, replies, and new TCP connections from the node's end of the veth to the
//           viewer port only.
// On the node, one table per sandbox, inet viworks_browser_<10 hex>, so removing a sandbox's rules is
// one `delete table` and never touches another sandbox's:
//   input:   nothing from the sandbox reaches the node itself (sshd 2222, the backend's agents…),
//            except replies to connections the node opened (the viewer, through nginx).
//   forward: from the sandbox only new TCP to granted pairs (never into the pool, i.e. no other
//            sandbox), marked with the node's forward mark (the iptables FORWARD chain accepts only
//            marked new traffic from a sandbox), and replies; towards it only replies.
//   postrouting: masquerade towards granted pairs, so targets need no route back to the pool.
// Both layers must agree for a packet to pass: a rule lost on one side still leaves the other.
import { FORWARD_MARK_HEX } from '../firewall/forward-table.js';
import type { BrowserTarget } from './spec.js';

export const SANDBOX_TABLE = 'viworks_sandbox';

function grantedSet(targets: readonly BrowserTarget[]): string[] {
  const elements = targets.map((t) => `${t.host} . ${t.port}`).join(', ');
  return ['  set granted {', '    type ipv4_addr . inet_service', `    elements = { ${elements} }`, '  }'];
}

/** Deletes `family table` if it exists (an `add` first makes the delete valid when it does not). */
export const renderTableDelete = (family: 'inet', table: string): string =>
  `add table ${family} ${table}\ndelete table ${family} ${table}\n`;

export interface SandboxRulesInput {
  /** The sandbox's end of the veth. */
  readonly ifname: string;
  /** The node's end's address: the only source allowed to open the viewer. */
  readonly nodeAddress: string;
  readonly viewerPort: number;
  readonly targets: readonly BrowserTarget[];
}

/** The ruleset loaded inside the sandbox's namespace (replaces any previous one atomically). */
export function renderSandboxRules(r: SandboxRulesInput): string {
  return [
    renderTableDelete('inet', SANDBOX_TABLE).trimEnd(),
    `table inet ${SANDBOX_TABLE} {`,
    ...grantedSet(r.targets),
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    iif "lo" accept',
    '    ct state established,related accept',
    `    iifname "${r.ifname}" ip saddr ${r.nodeAddress} tcp dport ${r.viewerPort} ct state new accept`,
    '  }',
    '  chain output {',
    '    type filter hook output priority filter; policy drop;',
    // A page in the sandbox must not open its own viewer (it would drive its own browser).
    `    oif "lo" tcp dport ${r.viewerPort} counter drop`,
    '    oif "lo" accept',
    '    ct state established,related accept',
    `    oifname "${r.ifname}" ip daddr . tcp dport @granted ct state new accept`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '  }',
    '}',
    '',
  ].join('\n');
}

export interface NodeRulesInput {
  readonly table: string;
  /** The node's end of the veth. */
  readonly ifname: string;
  readonly sandboxAddress: string;
  /** The whole sandbox pool (CIDR): never a destination from a sandbox. */
  readonly pool: string;
  readonly targets: readonly BrowserTarget[];
}

/** This sandbox's table on the node (replaces any previous one atomically). */
export function renderNodeRules(r: NodeRulesInput): string {
  const from = `iifname "${r.ifname}"`;
  return [
    renderTableDelete('inet', r.table).trimEnd(),
    `table inet ${r.table} {`,
    ...grantedSet(r.targets),
    '  chain input {',
    // Before the node's own input rules, so nothing there can let a sandbox in.
    '    type filter hook input priority filter - 20; policy accept;',
    `    ${from} ct state established,related accept`,
    `    ${from} counter drop`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter - 20; policy accept;',
    `    ${from} ip daddr ${r.pool} counter drop`,
    // The forward mark is what the node's iptables FORWARD chain accepts (gateway/render/iptables-rules.ts).
    `    ${from} ip saddr ${r.sandboxAddress} ip daddr . tcp dport @granted ct state new meta mark set meta mark | ${FORWARD_MARK_HEX} accept`,
    `    ${from} ct state established,related accept`,
    `    ${from} counter drop`,
    `    oifname "${r.ifname}" ct state established,related accept`,
    `    oifname "${r.ifname}" counter drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${r.sandboxAddress} ip daddr . tcp dport @granted masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}
