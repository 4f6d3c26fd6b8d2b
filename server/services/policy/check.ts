// What the policy schema cannot say (issue #14): every policy document is checked here before it
// becomes a version, and refused whole with every problem listed by field path — nothing is
// half-applied. Pure; the schema (core/api/policy.ts) has already bounded sizes and shapes.
import type { PolicyDocument } from '../../../core/api/policy.js';

/** An IPv4 network as [first address, last address] (unsigned 32-bit), or a problem. */
export function parseCidr(cidr: string): { first: number; last: number } | string {
  const [addr = '', bitsText = ''] = cidr.split('/');
  const octets = addr.split('.').map(Number);
  const bits = Number(bitsText);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    return 'not an IPv4 network';
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return 'prefix out of range';
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (value % size !== 0) return 'host bits set (write the network address)';
  return { first: value, last: value + size - 1 };
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Every problem of `doc`, each `/path: what` (empty: acceptable). */
export function policyDocumentProblems(doc: PolicyDocument): string[] {
  const problems: string[] = [];
  const nets: Array<{ first: number; last: number; at: number }> = [];
  doc.tunnel.routes.forEach((cidr, i) => {
    const n = parseCidr(cidr);
    if (typeof n === 'string') problems.push(`/tunnel/routes/${i}: ${n}`);
    else nets.push({ ...n, at: i });
  });
  for (let i = 0; i < nets.length; i++)
    for (let k = i + 1; k < nets.length; k++) {
      const a = nets[i]!;
      const b = nets[k]!;
      if (a.first <= b.last && b.first <= a.last)
        problems.push(`/tunnel/routes/${b.at}: overlaps /tunnel/routes/${a.at}`);
    }
  if (doc.tunnel.mode === 'split' && doc.tunnel.routes.length === 0)
    problems.push('/tunnel/routes: a split tunnel needs at least one route');
  doc.dns.servers.forEach((ip, i) => {
    if (ip.split('.').some((o) => Number(o) > 255)) problems.push(`/dns/servers/${i}: not an IPv4 address`);
  });
  if (doc.session.idle_timeout_s > doc.session.lifetime_s)
    problems.push('/session/idle_timeout_s: longer than the session lifetime');
  if (doc.schedule) {
    if (!isTimeZone(doc.schedule.time_zone)) problems.push('/schedule/time_zone: not an IANA time zone');
    doc.schedule.windows.forEach((w, i) => {
      if (w.from === w.to) problems.push(`/schedule/windows/${i}: empty window (from = to)`);
    });
  }
  doc.client_time_zones.forEach((tz, i) => {
    if (!isTimeZone(tz)) problems.push(`/client_time_zones/${i}: not an IANA time zone`);
  });
  const both = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => b.includes(x));
  if (both(doc.geo.allow_countries, doc.geo.deny_countries).length > 0)
    problems.push('/geo/deny_countries: a country is both allowed and denied');
  if (both(doc.geo.allow_asns, doc.geo.deny_asns).length > 0)
    problems.push('/geo/deny_asns: an AS is both allowed and denied');
  if (doc.gateways.includes('*') && doc.gateways.length > 1)
    problems.push('/gateways: "*" (any) stands alone');
  problems.push(...browserTargetProblems(doc.browser?.targets ?? []));
  return problems;
}

/**
 * Addresses no browser target may have, whatever the gateway: "this" network, loopback, link-local,
 * multicast and reserved (a sandbox must never be pointed back at a host's own services). The node
 * refuses the ranges it uses itself (its VPN pool, its addresses) on top of these.
 */
const NEVER_A_BROWSER_TARGET = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3'];

function browserTargetProblems(targets: NonNullable<PolicyDocument['browser']>['targets']): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.name)) problems.push(`/browser/targets/${i}/name: used twice`);
    seen.add(t.name);
    const ip = parseCidr(`${t.host}/32`);
    if (typeof ip === 'string') problems.push(`/browser/targets/${i}/host: not an IPv4 address`);
    else if (
      NEVER_A_BROWSER_TARGET.some((range) => {
        const r = parseCidr(range);
        return typeof r !== 'string' && r.first <= ip.first && ip.first <= r.last;
      })
    )
      problems.push(`/browser/targets/${i}/host: a reserved, loopback, link-local or multicast address`);
  });
  return problems;
}
