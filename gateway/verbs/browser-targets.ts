// The node's own checks on browser_spawn's targets, after the schema (which already refuses
// anything but canonical IPv4 literals, ports and short names — so no shell metacharacter, no
// overlong name gets this far): a target in a range the node itself uses would turn the sandbox
// into a way onto the node or its tunnel. Refusals name the field, never the value.
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { BrowserTarget } from '../../core/gateway/browser.js';
import { ALWAYS_REFUSED } from '../browser/spec.js';
import { type Ipv4Net, ipToInt, lastOf, parseNet } from '../firewall/ipv4.js';

const invalid = (why: string) => new ViworksError('VIW_E_VALIDATION', { message: `invalid request: ${why}` });

const inside = (ip: string, net: Ipv4Net): boolean => {
  const n = ipToInt(ip);
  return n >= net.base && n <= lastOf(net);
};

/**
 * Throws VIW_E_VALIDATION when a target's host is in `nodeNetworks` (the VPN pool, the node's own
 * addresses), the sandbox pool, loopback, "this network", link-local, multicast or reserved space,
 * or when a name or a host:port appears twice.
 */
export function checkBrowserTargets(
  targets: readonly BrowserTarget[],
  sandboxPool: string,
  nodeNetworks: readonly string[],
): void {
  const refused = [...ALWAYS_REFUSED, sandboxPool, ...nodeNetworks].map((c) => {
    const net = parseNet(c);
    if (!net) throw new ViworksError('VIW_E_CONFIG', { message: 'a refused network is not a CIDR' });
    return net;
  });
  const names = new Set<string>();
  const endpoints = new Set<string>();
  for (const [i, t] of targets.entries()) {
    if (refused.some((net) => inside(t.host, net)))
      throw invalid(`targets[${i}].host is in a range this gateway uses`);
    if (names.has(t.name)) throw invalid(`targets[${i}].name is a duplicate`);
    if (endpoints.has(`${t.host}:${t.port}`)) throw invalid(`targets[${i}] is a duplicate host and port`);
    names.add(t.name);
    endpoints.add(`${t.host}:${t.port}`);
  }
}
