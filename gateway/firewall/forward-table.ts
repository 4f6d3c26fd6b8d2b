// Per-session forwarding rules (architecture §6.3) as nftables batches for `nft -f -`: pure
// functions from the sessions' rules to text, so what reaches the kernel is reviewable and tested.
//
// One table of our own, `inet viworks_gw`; nothing here names, lists or flushes anyone else's.
//
//   table inet viworks_gw {
//     set pushed_dns { type ipv4_addr; elements = { <settings.push_dns> } }
//     map sessions   { type ipv4_addr : verdict; elements = { 10.8.0.2 : jump sess_<hex>, … } }
//     chain forward { type filter hook forward priority filter - 10; policy accept;
//                     iifname "tun*" jump from_tunnel }
//     chain from_tunnel {
//       meta nfproto ipv6 counter drop        # OpenVPN here carries IPv4 only
//       oifname "tun*" counter drop           # no session reaches another session
//       ip saddr vmap @sessions               # the source address names the session…
//       counter drop                          # …and whatever its chain did not allow dies here
//     }
//     chain sess_<hex> {                      # one per session: a delta replaces only this chain
//       meta time >= <expires_at> counter drop comment "<tag>"   # the kernel enforces expiry
//       ip daddr @pushed_dns meta l4proto { tcp, udp } th dport 53 goto allow
//       ip daddr { <networks> } goto allow    # or `goto allow` alone: unrestricted
//     }
//     chain allow { meta mark set meta mark | 0x00200000 accept }
//   }
//
// What is always allowed, whatever the policy: DNS (port 53) to the resolvers the node pushes to
// every client (settings.push_dns) — without them a session resolves nothing — and nothing else.
// Traffic to the gateway itself (its tunnel address) is INPUT, not forwarding, and not judged here.
// Only packets in from the tunnel are judged (the base chain's policy is accept): replies towards
// the tunnel and the node's other traffic are the iptables baseline's business. Every packet from
// the tunnel is checked, not only new connections, so a network removed by a delta is cut at once,
// established connections included.
//
// Why a source address can be trusted to name a session: OpenVPN (tun mode, no client-to-client)
// drops any packet whose source is not the address it gave that client ("bad source address"), and
// the node pins every session's address itself (ifconfig-push in its CCD, `server … nopool`): see
// gateway/verbs/session-address.ts.
//
// The mark ties this table to the iptables baseline (gateway/render/iptables-rules.ts): VIWORKS_FORWARD
// accepts tunnel traffic only with FORWARD_MARK set, and only this table sets it. If the table is
// missing (deleted, never loaded), nothing from the tunnel is forwarded: both layers fail closed.
//
// Atomicity: `nft -f` applies a batch as one transaction. A session delta is idempotent and touches
// only that session's chain and map element (`add` of an existing chain or identical element is a
// no-op; `flush chain` empties it first). The full form replaces the whole table in one transaction
// (`table …{}` + `delete table` + the definition: no gap, no duplicate).
import { ViworksError } from '../../core/errors/viworks-error.js';
import { POLICY_WIRE_ID, type PolicyTag, SESSION_WIRE_ID } from '../../core/gateway/control.js';
import { isIpv4, parseNet } from './ipv4.js';

export const FORWARD_TABLE = 'viworks_gw';
const T = `inet ${FORWARD_TABLE}`;
/** The packet-mark bit this table sets on tunnel traffic it allows (iptables accepts only that). */
export const FORWARD_MARK = 0x00200000;
export const FORWARD_MARK_HEX = `0x${FORWARD_MARK.toString(16).padStart(8, '0')}`;
/** OpenVPN's `dev tun` devices (tun0, tun1, …), as the iptables baseline's `tun+`. */
export const TUNNEL_IFNAMES = 'tun*';
/**
 * nft's `meta time` is nanoseconds in 64 bits: seconds past ~2^33 (year 2242) wrap around. A later
 * expiry is clamped to this (still centuries away; viworks-gw prunes the session long before).
 */
export const MAX_KERNEL_TIME_S = 2 ** 33;

/** What one session may reach; `address` is its pinned VPN address. */
export interface SessionRules {
  readonly session: string;
  readonly address: string;
  /** Canonical CIDRs (checkSessionNetworks), or anywhere. */
  readonly networks: readonly string[] | 'unrestricted';
  /** Unix seconds. */
  readonly expiresAt: number;
  /** The policy the rules come from; null: the node's own push_routes (no session_filter yet). */
  readonly tag: PolicyTag | null;
}

export interface ForwardTablePlan {
  /** settings.push_dns: always reachable on port 53. */
  readonly pushedDns: readonly string[];
  readonly sessions: readonly SessionRules[];
}

const SESSION_RE = new RegExp(SESSION_WIRE_ID);
const POLICY_RE = new RegExp(POLICY_WIRE_ID);

// Values were validated at the edge; the renderer checks again because its output is a program for
// the kernel's firewall (a stray quote or brace would change it).
const bad = (what: string) => new ViworksError('VIW_E_INTERNAL', { details: [`forward table: bad ${what}`] });

function checkAddress(address: string): string {
  if (!isIpv4(address)) throw bad('address');
  return address;
}

function checkRules(r: SessionRules): SessionRules {
  if (!SESSION_RE.test(r.session)) throw bad('session id');
  checkAddress(r.address);
  if (!Number.isSafeInteger(r.expiresAt) || r.expiresAt < 0) throw bad('expiry');
  if (r.tag && (!POLICY_RE.test(r.tag.policy_id) || !Number.isSafeInteger(r.tag.version))) throw bad('tag');
  if (r.networks !== 'unrestricted' && r.networks.some((n) => parseNet(n) === null)) throw bad('network');
  return r;
}

/** The session's own chain: `sess_` + the 32 hex digits of its wire id. */
export function sessionChain(session: string): string {
  if (!SESSION_RE.test(session)) throw bad('session id');
  return `sess_${session.slice(2)}`;
}

export function tagComment(tag: PolicyTag | null): string {
  return tag ? `${tag.policy_id} v${tag.version}` : 'node push_routes';
}

/** Lines that (re)fill one session's chain and map it from its address. */
function sessionLines(r: SessionRules, flush: boolean): string[] {
  const chain = sessionChain(r.session);
  const rule = (body: string) => `add rule ${T} ${chain} ${body}`;
  const until = Math.min(r.expiresAt, MAX_KERNEL_TIME_S);
  const allow =
    r.networks === 'unrestricted'
      ? ['goto allow']
      : r.networks.length > 0
        ? [`ip daddr { ${r.networks.join(', ')} } goto allow`]
        : [];
  return [
    `add chain ${T} ${chain}`,
    ...(flush ? [`flush chain ${T} ${chain}`] : []),
    rule(`meta time >= ${until} counter drop comment "${tagComment(r.tag)}"`),
    rule('ip daddr @pushed_dns meta l4proto { tcp, udp } th dport 53 goto allow'),
    ...allow.map(rule),
    `add element ${T} sessions { ${r.address} : jump ${chain} }`,
  ];
}

const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

/** The whole table, replacing whatever table of that name is there, in one transaction. */
export function renderForwardTable(plan: ForwardTablePlan): string {
  const dns = plan.pushedDns.map(checkAddress);
  const sessions = plan.sessions.map(checkRules);
  const addresses = new Set(sessions.map((s) => s.address));
  if (addresses.size !== sessions.length) throw bad('plan: two sessions share an address');
  return text([
    `table ${T} {}`,
    `delete table ${T}`,
    `table ${T} {`,
    '\tset pushed_dns {',
    '\t\ttype ipv4_addr',
    ...(dns.length > 0 ? [`\t\telements = { ${[...new Set(dns)].join(', ')} }`] : []),
    '\t}',
    '\tmap sessions {',
    '\t\ttype ipv4_addr : verdict',
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter - 10; policy accept;',
    `\t\tiifname "${TUNNEL_IFNAMES}" jump from_tunnel`,
    '\t}',
    '\tchain from_tunnel {',
    '\t\tmeta nfproto ipv6 counter drop comment "IPv4 only"',
    `\t\toifname "${TUNNEL_IFNAMES}" counter drop comment "no session reaches another"`,
    '\t\tip saddr vmap @sessions',
    '\t\tcounter drop comment "not a session address, or not allowed"',
    '\t}',
    '\tchain allow {',
    `\t\tmeta mark set meta mark | ${FORWARD_MARK_HEX} accept`,
    '\t}',
    '}',
    ...sessions.flatMap((s) => sessionLines(s, false)),
  ]);
}

/** A delta: this session's rules replace its previous ones; no other session is touched. */
export function renderSessionUpdate(rules: SessionRules): string {
  return text(sessionLines(checkRules(rules), true));
}

/**
 * Removes one session's chain and map element; a no-op when they are not there (each is added
 * first — a no-op when present — so the deletes always find them).
 */
export function renderSessionRemoval(session: string, address: string): string {
  const chain = sessionChain(session);
  checkAddress(address);
  return text([
    `add chain ${T} ${chain}`,
    `add element ${T} sessions { ${address} : jump ${chain} }`,
    `delete element ${T} sessions { ${address} }`,
    `flush chain ${T} ${chain}`,
    `delete chain ${T} ${chain}`,
  ]);
}
