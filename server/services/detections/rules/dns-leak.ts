// A client whose DNS or traffic leaves outside the tunnel (architecture §9.2 dns_leak_detected):
// reported by the device itself, signed by its key. Component `client` (and `daemon`, which the
// same reports carried before the client events had their own component).
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

const REPORTERS = ['client', 'daemon'] as const;

export function dnsLeak(s: DetectionSettings): DetectionRule {
  return {
    id: 'dns_leak',
    title: 'Client reported a DNS or route leak',
    description:
      'An enrolled device reported that its DNS (client.dns_leak_detected) or its traffic ' +
      '(client.route_leak_detected) goes outside the tunnel: a misconfigured or tampered client.',
    severity: 'warning',
    key: [{ firstOf: ['device_id', 'src_ip'] }],
    shape: {
      kind: 'each',
      dedupeMs: s.dnsLeak.dedupeS * 1000,
      triggers: [
        {
          reason: 'dns_leak',
          title: 'Client reported a DNS leak',
          select: { action: ['client.dns_leak_detected'], component: [...REPORTERS] },
        },
        {
          reason: 'route_leak',
          title: 'Client reported a route leak',
          select: { action: ['client.route_leak_detected'], component: [...REPORTERS] },
        },
      ],
    },
    falsePositives: ['A resolver change by the OS or another VPN client on the same machine'],
    summary: (f) =>
      `Device ${f.keyValues.device_id ?? '?'} reported a ${f.reason === 'dns_leak' ? 'DNS' : 'route'} leak` +
      `${f.event.error_msg ? `: ${f.event.error_msg}` : ''}`,
  };
}
