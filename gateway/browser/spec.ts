// What a browser sandbox is asked to be (one per session) and the checks that refuse anything else.
// The verb that will carry it (browser_spawn) is not built yet: when it is, this schema moves to
// core/gateway/control.ts beside the other verbs' grammars and this file keeps the semantic checks.
//
// Targets are IPv4 literals only: the node has no resolver policy yet, and a name resolved inside the
// sandbox could point anywhere (DNS rebinding) — the grant must be the address nftables enforces.
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { BrowserLimits } from '../../core/gateway/browser.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { type Ipv4Net, ipToInt, isIpv4, lastOf, overlaps, parseNet } from '../firewall/ipv4.js';

export const MAX_BROWSER_TARGETS = 16;

const SessionId = Type.String({ pattern: '^s-[0-9a-f]{32}$' });
// Shape only (dotted digits, bounded): canonical form and ranges are checked below.
const Host = Type.String({ pattern: '^[0-9.]{7,15}$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const BrowserTarget = Type.Object({ host: Host, port: Port }, closed);
export type BrowserTarget = Static<typeof BrowserTarget>;

// The control protocol's limits, the same bounds (Chromium with one tab needs ~300 MiB; below 256
// it is killed before the first paint).
export { BrowserLimits };

export const BrowserSandboxSpec = Type.Object(
  {
    id: SessionId,
    targets: Type.Array(BrowserTarget, { minItems: 1, maxItems: MAX_BROWSER_TARGETS }),
    limits: BrowserLimits,
    start_url: Type.String({ pattern: '^http://[0-9.]{7,15}:[0-9]{1,5}/$', maxLength: 30 }),
    /** Copy and paste between the user's browser and the remote one (x11vnc's CLIPBOARD exchange). */
    clipboard: Type.Boolean(),
    /** Downloads, file dialogs and printing to a file in the remote browser (chromium-policy.ts). */
    file_transfer: Type.Boolean(),
  },
  closed,
);
export type BrowserSandboxSpec = Static<typeof BrowserSandboxSpec>;

const specValidator = strictValidator(BrowserSandboxSpec);

/** Networks a sandbox may never reach, whatever a policy says (loopback, "this", link-local, multicast, reserved). */
export const ALWAYS_REFUSED: readonly string[] = [
  '0.0.0.0/8',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

const invalid = (why: string) =>
  new ViworksError('VIW_E_VALIDATION', { message: `invalid browser spec: ${why}` });

function inside(ip: string, net: Ipv4Net): boolean {
  const n = ipToInt(ip);
  return n >= net.base && n <= lastOf(net);
}

/**
 * The spec typed, or VIW_E_VALIDATION: the schema (closed, bounded), then canonical IPv4 literals,
 * none in a refused network (ALWAYS_REFUSED, the sandbox pool, and `refused` — the node's own
 * networks, e.g. its VPN pool), no duplicate target, and a start_url that is one of the targets.
 */
export function checkBrowserSpec(
  value: unknown,
  pool: Ipv4Net,
  refused: readonly Ipv4Net[] = [],
): BrowserSandboxSpec {
  const spec = specValidator.parse(value);
  const blocked = [...ALWAYS_REFUSED.map((c) => parseNet(c)!), pool, ...refused];
  const seen = new Set<string>();
  for (const [i, t] of spec.targets.entries()) {
    if (!isIpv4(t.host)) throw invalid(`targets[${i}].host is not a canonical IPv4 literal`);
    if (blocked.some((net) => inside(t.host, net)))
      throw invalid(`targets[${i}].host is in a refused network`);
    const key = `${t.host}:${t.port}`;
    if (seen.has(key)) throw invalid(`targets[${i}] is a duplicate`);
    seen.add(key);
  }
  const m = /^http:\/\/([0-9.]+):([0-9]+)\/$/.exec(spec.start_url);
  if (!m || !seen.has(`${m[1]}:${Number(m[2])}`) || String(Number(m[2])) !== m[2])
    throw invalid('start_url is not http://<host>:<port>/ of a granted target');
  return spec;
}

/** The sandbox pool: a canonical IPv4 CIDR between /8 and /28 that touches no refused network. */
export function checkPool(cidr: string): Ipv4Net {
  const net = parseNet(cidr);
  if (!net || net.prefix < 8 || net.prefix > 28)
    throw invalid('pool is not a canonical IPv4 CIDR of /8../28');
  if (ALWAYS_REFUSED.some((c) => overlaps(parseNet(c)!, net)))
    throw invalid('pool overlaps a refused network');
  return net;
}
