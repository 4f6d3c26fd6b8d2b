// Host checks for OpenVPN, before it starts (preflight) and after it is up
// (docs/architecture.md#desktop-preflight):
//   resolveOpenVpnBinary  absolute, a regular file, executable, not writable by anyone but root
//   openvpnVersion        `openvpn --version` ≥ 2.6 (stdin config, netlink, block-ipv6)
//   activeTunnels         tun/tap/wireguard links, or default routes through one, left by another
//                         VPN or an earlier session (a stale openvpn the daemon lost track of)
//   checkRoutingPolicy    after "Initialization Sequence Completed": with redirect_gateway, the
//                         kernel sends IPv4 through the tunnel (def1's 0/1 + 128/1, or a default
//                         route), IPv6 either through it or nowhere, and every DNS resolver in
//                         resolv.conf through it; the bypass addresses (gateway, backend) outside
//                         it, and no OTHER route outside it that was not there before OpenVPN
//                         started (a gateway pushing `route … net_gateway` is a leak); otherwise
//                         VIW_E_LEAK.
//
// DNS on Linux, honestly: OpenVPN applies neither pushed nor configured `dhcp-option DNS` without
// an up script, and the runner runs none (script-security 0), so resolv.conf is left as it was.
// What IS enforced: with redirect_gateway every non-loopback resolver must be routed into the
// tunnel (a LAN resolver, e.g. the home router, is a leak and fails the check). What is NOT: a
// loopback stub (systemd-resolved's 127.0.0.53) forwards to upstreams resolv.conf does not show;
// it is reported `unverified` (a failure only with strictDns). When the policy pushes DNS the
// resolver check is skipped here: the daemon applies dns_push right after this (network-guard.ts)
// and its leak checks (engine/leak-check.ts) then verify the resolvers in use, for the whole session.
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { TUNNEL_NAME_RE } from '../../../core/diagnostics/checks.js';
import { parseResolvConf } from '../../../core/diagnostics/probes.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { execQuiet, type IpOptions, type IpRoute, listLinks, listRoutes, routeGet } from './iproute.js';

export { parseResolvConf };

export const DEFAULT_OPENVPN_PATH = '/usr/sbin/openvpn';
export const MIN_OPENVPN = { major: 2, minor: 6 } as const;

const preflightError = (detail: string) => new ViworksError('VIW_E_PREFLIGHT', { details: [detail] });

/**
 * A program the daemon (root) may execute: an absolute path, resolved through symlinks, to a
 * regular executable file owned by root (or by the daemon's own user) and writable by no one else.
 * Throws VIW_E_PREFLIGHT naming the problem (`label` is the program's role, e.g. "openvpn").
 */
export function resolveTrustedBinary(path: string, label: string): string {
  if (!isAbsolute(path)) throw preflightError(`${label}: path must be absolute`);
  let real: string;
  try {
    real = realpathSync(path);
    accessSync(real, constants.X_OK);
  } catch {
    throw preflightError(`${label}: not found or not executable at ${path}`);
  }
  const st = statSync(real);
  if (!st.isFile()) throw preflightError(`${label}: not a regular file`);
  const self = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  if (st.uid !== 0 && st.uid !== self) throw preflightError(`${label}: not owned by root`);
  if ((st.mode & 0o022) !== 0) throw preflightError(`${label}: writable by group or others`);
  return real;
}

/** The OpenVPN binary, checked as resolveTrustedBinary does. */
export function resolveOpenVpnBinary(path: string = DEFAULT_OPENVPN_PATH): string {
  return resolveTrustedBinary(path, 'openvpn');
}

export interface OpenVpnVersion {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** e.g. "OpenSSL 3.0.19" */
  readonly ssl: string | null;
  /** Built with data-channel offload support (the kernel module may still be missing). */
  readonly dco: boolean;
}

/** Parses the first lines of `openvpn --version`. */
export function parseOpenVpnVersion(text: string): OpenVpnVersion | null {
  const m = text.match(/^OpenVPN (\d+)\.(\d+)\.(\d+)\S* .*$/m);
  if (!m) return null;
  const ssl = text.match(/library versions: (OpenSSL [0-9][0-9a-z.]*|mbed TLS [0-9.]+)/)?.[1] ?? null;
  return {
    version: `${m[1]}.${m[2]}.${m[3]}`,
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    ssl,
    dco: /\[DCO\]/.test(m[0]),
  };
}

/** `openvpn --version` from the resolved binary; VIW_E_PREFLIGHT unless it is ≥ 2.6. */
export async function openvpnVersion(path: string = DEFAULT_OPENVPN_PATH): Promise<OpenVpnVersion> {
  const binary = resolveOpenVpnBinary(path);
  const r = await execQuiet(binary, ['--version']);
  const v = parseOpenVpnVersion(r.stdout);
  if (!v) throw preflightError('openvpn: version not recognised');
  if (v.major < MIN_OPENVPN.major || (v.major === MIN_OPENVPN.major && v.minor < MIN_OPENVPN.minor)) {
    throw preflightError(`openvpn: version ${v.version} is older than 2.6`);
  }
  return v;
}

// ── Tunnels already present ────────────────────────────────────────────────────────────────

const TUNNEL_KINDS = new Set(['tun', 'wireguard', 'ipip', 'gre', 'sit', 'vti', 'xfrm', 'ppp']);
/** Destinations that carry "everything": default, def1's halves, and block-ipv6/def1's IPv6 set. */
const CATCH_ALL = new Set([
  'default',
  '0.0.0.0/0',
  '0.0.0.0/1',
  '128.0.0.0/1',
  '::/0',
  '::/1',
  '8000::/1',
  '::/3',
  '2000::/4',
  '3000::/4',
]);

export interface ActiveTunnels {
  readonly interfaces: ReadonlyArray<{ readonly name: string; readonly kind: string }>;
  readonly routes: ReadonlyArray<{ readonly family: 4 | 6; readonly dst: string; readonly dev: string }>;
}

/** Tunnel-like links and catch-all routes through them (`ip -j link` / `ip -j route`). */
export async function activeTunnels(opts: IpOptions = {}): Promise<ActiveTunnels> {
  const links = await listLinks(opts);
  const interfaces = links
    .map((l) => ({ name: l.ifname, kind: l.linkinfo?.info_kind ?? l.link_type ?? 'unknown' }))
    .filter((l) => TUNNEL_NAME_RE.test(l.name) || TUNNEL_KINDS.has(l.kind) || l.kind === 'none');
  const names = new Set(interfaces.map((i) => i.name));
  const routes: Array<ActiveTunnels['routes'][number]> = [];
  for (const family of [4, 6] as const) {
    for (const r of await listRoutes(family, opts)) {
      if (r.dev !== undefined && names.has(r.dev) && CATCH_ALL.has(r.dst))
        routes.push({ family, dst: r.dst, dev: r.dev });
    }
  }
  return { interfaces, routes };
}

/** VIW_E_PREFLIGHT when a tunnel interface or a catch-all route through one exists. */
export async function assertNoActiveTunnel(opts: IpOptions = {}): Promise<void> {
  const t = await activeTunnels(opts);
  if (t.interfaces.length === 0 && t.routes.length === 0) return;
  const details = [
    ...t.interfaces.slice(0, 4).map((i) => `tunnel interface present: ${i.name} (${i.kind})`),
    ...t.routes.slice(0, 4).map((r) => `route ${r.dst} via ${r.dev}`),
  ];
  throw new ViworksError('VIW_E_PREFLIGHT', { details });
}

// ── After connect ──────────────────────────────────────────────────────────────────────────

/** Destinations whose route decides where "the Internet" goes: one in each half of IPv4. */
export const IPV4_PROBES = ['9.9.9.9', '149.112.112.112'] as const;
export const IPV6_PROBES = ['2620:fe::fe', '2001:4860:4860::8888'] as const;

export interface RoutingPolicyInput extends IpOptions {
  readonly tunDevice: string;
  readonly redirectGateway: boolean;
  /** The policy's DNS servers (bootstrap dns_push), for the report. */
  readonly dnsPush: readonly string[];
  /** resolv.conf text; default: /etc/netns/<ns>/resolv.conf inside a lab namespace, else /etc/resolv.conf. */
  readonly resolvConf?: string;
  /** Treat a loopback stub resolver (upstream unknown) as a leak. Default false: reported only. */
  readonly strictDns?: boolean;
  /** The /32 bypass routes the config asked for (gateway + backend): must go outside the tunnel. */
  readonly bypassAddresses?: readonly string[];
  /**
   * The main table's IPv4 routes before OpenVPN started. With it, every route added since that
   * does not go through the tunnel must be one of bypassAddresses: exactly those, nothing else.
   */
  readonly routesBefore?: readonly IpRoute[];
}

export interface RoutingCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DnsReport {
  readonly nameservers: readonly string[];
  readonly viaTunnel: readonly string[];
  /** Loopback resolvers whose upstream this check cannot see. */
  readonly unverified: readonly string[];
  readonly outside: readonly string[];
  /** resolv.conf lists exactly policy servers (OpenVPN on Linux does not apply them by itself). */
  readonly policyApplied: boolean;
}

export interface RoutingReport {
  readonly checks: readonly RoutingCheck[];
  readonly dns: DnsReport;
}

function readResolvConf(opts: RoutingPolicyInput): string {
  if (opts.resolvConf !== undefined) return opts.resolvConf;
  const paths = opts.netns
    ? [`/etc/netns/${opts.netns}/resolv.conf`, '/etc/resolv.conf']
    : ['/etc/resolv.conf'];
  for (const p of paths) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      // try the next one
    }
  }
  return '';
}

const isLoopback = (a: string) => /^127\./.test(a) || a === '::1';
const viaTun = (r: IpRoute | null, tun: string) => r !== null && r.dev === tun;

/** def1's pair or a default route, both through the tunnel, in the main table. */
export function ipv4CatchAllViaTunnel(routes: readonly IpRoute[], tun: string): boolean {
  const via = (dst: string) => routes.some((r) => r.dst === dst && r.dev === tun);
  return via('default') || via('0.0.0.0/0') || (via('0.0.0.0/1') && via('128.0.0.0/1'));
}

const routeKey = (r: IpRoute) => `${r.dst}|${r.dev ?? ''}|${r.gateway ?? ''}|${r.type ?? ''}`;

/**
 * Routes that appeared since `before`, do not go through the tunnel, and are not one of the
 * allowed /32 bypasses. Pure, for the post-connect leak check.
 */
export function unexpectedOutsideRoutes(
  before: readonly IpRoute[],
  after: readonly IpRoute[],
  tun: string,
  allowed: readonly string[],
): IpRoute[] {
  const known = new Set(before.map(routeKey));
  const hosts = new Set(allowed.flatMap((a) => [a, `${a}/32`]));
  return after.filter((r) => !known.has(routeKey(r)) && r.dev !== tun && !hosts.has(r.dst));
}

/**
 * Verifies the kernel routes as the policy requires, after connect. Returns the report, or throws
 * VIW_E_LEAK with the failed checks as details (interface names and probe results only).
 */
export async function checkRoutingPolicy(input: RoutingPolicyInput): Promise<RoutingReport> {
  const tun = input.tunDevice;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(tun)) throw new RangeError('invalid tun device name');
  const checks: RoutingCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const link = (await listLinks(input)).find((l) => l.ifname === tun);
  add(
    'tunnel_up',
    link?.flags?.includes('UP') === true,
    link ? `${tun} ${link.flags?.includes('UP') ? 'up' : 'down'}` : `${tun} missing`,
  );

  if (input.redirectGateway) {
    const routes = await listRoutes(4, input);
    add('ipv4_catch_all', ipv4CatchAllViaTunnel(routes, tun), `default or 0/1+128/1 via ${tun}`);
    for (const probe of IPV4_PROBES) {
      const r = await routeGet(probe, input);
      add(`ipv4_route_${probe}`, viaTun(r, tun), r ? `via ${r.dev ?? '?'}` : 'unreachable');
    }
    for (const probe of IPV6_PROBES) {
      // Through the tunnel (block-ipv6 answers there) or unreachable: either way it does not leave.
      const r = await routeGet(probe, input);
      add(`ipv6_route_${probe}`, r === null || viaTun(r, tun), r ? `via ${r.dev ?? '?'}` : 'unreachable');
    }
    // Numbered, not addressed: the details may reach the user and the gateway's address is the
    // bootstrap's. A bypass that does not take effect would loop the proxy (gateway) or push the
    // daemon's control traffic into the tunnel it supervises (backend).
    for (const [i, addr] of (input.bypassAddresses ?? []).entries()) {
      const r = await routeGet(addr, input);
      add(`bypass_${i + 1}`, r !== null && !viaTun(r, tun), r ? `via ${r.dev ?? '?'}` : 'unreachable');
    }
    if (input.routesBefore) {
      const extra = unexpectedOutsideRoutes(input.routesBefore, routes, tun, input.bypassAddresses ?? []);
      add(
        'no_other_outside_routes',
        extra.length === 0,
        extra.length === 0
          ? 'only the bypass routes leave outside the tunnel'
          : `${extra.length} unexpected route(s) outside the tunnel`,
      );
    }
  }

  const nameservers = parseResolvConf(readResolvConf(input));
  const viaTunnel: string[] = [];
  const unverified: string[] = [];
  const outside: string[] = [];
  for (const ns of nameservers) {
    if (isLoopback(ns)) {
      unverified.push(ns);
      continue;
    }
    (viaTun(await routeGet(ns, input), tun) ? viaTunnel : outside).push(ns);
  }
  if (input.redirectGateway && input.dnsPush.length === 0) {
    add(
      'dns_routed',
      outside.length === 0,
      outside.length === 0
        ? 'every resolver via the tunnel'
        : `${outside.length} resolver(s) outside the tunnel`,
    );
    if (input.strictDns)
      add('dns_stub', unverified.length === 0, `${unverified.length} loopback resolver(s) unverified`);
  }
  const policyApplied =
    input.dnsPush.length > 0 && nameservers.length > 0 && nameservers.every((n) => input.dnsPush.includes(n));
  const report: RoutingReport = {
    checks,
    dns: { nameservers, viaTunnel, unverified, outside, policyApplied },
  };
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new ViworksError('VIW_E_LEAK', { details: failed.map((c) => `${c.name}: ${c.detail}`) });
  }
  return report;
}
