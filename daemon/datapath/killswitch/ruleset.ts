// The kill switch's nftables ruleset (issue #12): a table of the daemon's own, `inet viworks`,
// which lets out only what the connection needs — loopback, the backend's addresses on its port,
// the gateway's SPA port and TLS port, the tunnel interface, DHCP and IPv6 neighbour discovery
// (and, when asked, the local LAN) — and drops everything else, IPv6 included. It never touches
// another table. The script replaces the table atomically (nft applies a file as one transaction).
// Every value is checked before any text is made: a hostile address, port or interface name is
// refused (VIW_E_VALIDATION), so nothing reaches nft that could add a rule of its own.
import { isIP } from 'node:net';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export const KILL_SWITCH_TABLE = 'viworks';

export interface KillSwitchPlan {
  readonly backend: { readonly addresses: readonly string[]; readonly port: number };
  /** Null with no session (mode `always` between sessions): nothing but the backend goes out. */
  readonly gateway: { readonly address: string; readonly spaPort: number; readonly tlsPort: number } | null;
  /**
   * Resolvers reachable on port 53 outside the tunnel: only with no session (mode `always`), so
   * that the backend's and the gateway's names still resolve for a login; never while connected.
   */
  readonly resolvers?: readonly string[];
  /**
   * The captive portal probe's target (plain HTTP), also only with no session: so that a portal is
   * still detected before a connect in mode `always` (engine/captive-portal.ts).
   */
  readonly captiveProbe?: { readonly addresses: readonly string[]; readonly port: number };
  /** The tunnel interface (OpenVPN's dev); a name pattern like "tun*" before it exists. */
  readonly tunnelInterface: string;
  /** Let traffic to the local networks (RFC 1918, link-local) through: printers, NAS… */
  readonly allowLan: boolean;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}\*?$/;
const LAN4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];
const LAN6 = ['fe80::/10', 'fc00::/7'];

function refuse(detail: string): ViworksError {
  return new ViworksError('VIW_E_VALIDATION', {
    message: 'The kill switch plan is invalid',
    details: [detail],
  });
}

function port(p: number, what: string): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw refuse(`${what}: not a port`);
  return p;
}

function address(a: string, what: string): { family: 'ip' | 'ip6'; text: string } {
  const v = isIP(a);
  if (v === 0) throw refuse(`${what}: not an IP address`);
  return { family: v === 4 ? 'ip' : 'ip6', text: a };
}

/** Checks every value of the plan; throws VIW_E_VALIDATION naming the first bad one. */
export function checkPlan(plan: KillSwitchPlan): void {
  if (plan.backend.addresses.length > 8) throw refuse('backend.addresses: at most 8 addresses');
  for (const [i, a] of plan.backend.addresses.entries()) address(a, `backend.addresses[${i}]`);
  port(plan.backend.port, 'backend.port');
  if (plan.gateway) {
    address(plan.gateway.address, 'gateway.address');
    port(plan.gateway.spaPort, 'gateway.spaPort');
    port(plan.gateway.tlsPort, 'gateway.tlsPort');
  }
  const resolvers = plan.resolvers ?? [];
  if (resolvers.length > 0 && plan.gateway) throw refuse('resolvers: only without a session');
  if (resolvers.length > 3) throw refuse('resolvers: at most 3');
  for (const [i, a] of resolvers.entries()) address(a, `resolvers[${i}]`);
  if (plan.captiveProbe) {
    if (plan.gateway) throw refuse('captiveProbe: only without a session');
    if (plan.captiveProbe.addresses.length > 4) throw refuse('captiveProbe.addresses: at most 4');
    for (const [i, a] of plan.captiveProbe.addresses.entries()) address(a, `captiveProbe.addresses[${i}]`);
    port(plan.captiveProbe.port, 'captiveProbe.port');
  }
  if (!IFNAME.test(plan.tunnelInterface)) throw refuse('tunnelInterface: not an interface name');
}

/** The nft script that installs (or replaces) `inet viworks` for `plan`. */
export function renderKillSwitch(plan: KillSwitchPlan): string {
  checkPlan(plan);
  const backend = plan.backend.addresses.map((a) => address(a, 'backend'));
  const resolvers = (plan.resolvers ?? []).map((a) => address(a, 'resolver'));
  const tun = `"${plan.tunnelInterface}"`;
  const gateway = (g: NonNullable<KillSwitchPlan['gateway']>) => {
    const gw = address(g.address, 'gateway.address');
    return [
      `${gw.family} daddr ${gw.text} udp dport ${g.spaPort} accept`,
      `${gw.family} daddr ${gw.text} tcp dport ${g.tlsPort} accept`,
    ];
  };
  const out = [
    'oifname "lo" accept',
    ...backend.map((b) => `${b.family} daddr ${b.text} tcp dport ${plan.backend.port} accept`),
    ...(plan.gateway ? gateway(plan.gateway) : []),
    ...resolvers.flatMap((r) => [
      `${r.family} daddr ${r.text} udp dport 53 accept`,
      `${r.family} daddr ${r.text} tcp dport 53 accept`,
    ]),
    ...(plan.captiveProbe?.addresses ?? []).map((a) => {
      const p = address(a, 'captiveProbe');
      return `${p.family} daddr ${p.text} tcp dport ${plan.captiveProbe!.port} accept`;
    }),
    `oifname ${tun} accept`,
    'udp sport 68 udp dport 67 accept',
    'udp sport 546 udp dport 547 accept',
    'icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept',
    ...(plan.allowLan
      ? [`ip daddr { ${LAN4.join(', ')} } accept`, `ip6 daddr { ${LAN6.join(', ')} } accept`]
      : []),
  ];
  const inbound = [
    'iifname "lo" accept',
    'ct state established,related accept',
    `iifname ${tun} accept`,
    'udp sport 67 udp dport 68 accept',
    'udp sport 547 udp dport 546 accept',
    'icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept',
    ...(plan.allowLan
      ? [`ip saddr { ${LAN4.join(', ')} } accept`, `ip6 saddr { ${LAN6.join(', ')} } accept`]
      : []),
  ];
  const chain = (name: string, hook: string, rules: readonly string[]) => [
    `  chain ${name} {`,
    `    type filter hook ${hook} priority 0; policy drop;`,
    ...rules.map((r) => `    ${r}`),
    '  }',
  ];
  return [
    // Declaring then deleting makes the replace work whether or not the table exists yet.
    `table inet ${KILL_SWITCH_TABLE}`,
    `delete table inet ${KILL_SWITCH_TABLE}`,
    `table inet ${KILL_SWITCH_TABLE} {`,
    ...chain('output', 'output', out),
    ...chain('input', 'input', inbound),
    // Forwarded traffic (containers, VMs) would otherwise bypass the switch.
    ...chain('forward', 'forward', [
      `oifname ${tun} accept`,
      `iifname ${tun} ct state established,related accept`,
    ]),
    '}',
    '',
  ].join('\n');
}

/** The nft script that removes the kill switch (and nothing else). */
export function removeKillSwitch(): string {
  return `table inet ${KILL_SWITCH_TABLE}\ndelete table inet ${KILL_SWITCH_TABLE}\n`;
}
