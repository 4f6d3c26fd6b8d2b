// Values a hostile or broken push could carry; every DNS method must refuse each one before it
// writes or runs anything.
import type { DnsApplyRequest } from '../dns-backend.js';

export const HOSTILE_SETTINGS = [
  { servers: ['10.8.0.1\noptions ndots:15'], searchDomains: [] },
  { servers: ['10.8.0.1 options'], searchDomains: [] },
  { servers: ['ns.example'], searchDomains: [] },
  { servers: ['fe80::1%eth0'], searchDomains: [] },
  { servers: ['-h'], searchDomains: [] },
  { servers: [], searchDomains: [] },
  { servers: ['10.8.0.1', '10.8.0.2', '10.8.0.3', '10.8.0.4'], searchDomains: [] },
  { servers: ['10.8.0.1'], searchDomains: ['corp.example\nnameserver 6.6.6.6'] },
  { servers: ['10.8.0.1'], searchDomains: ['corp.example options ndots:15'] },
  { servers: ['10.8.0.1'], searchDomains: ['bad_label.example'] },
  { servers: ['10.8.0.1'], searchDomains: [`${'a'.repeat(64)}.example`] },
  { servers: ['10.8.0.1'], searchDomains: [Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')] },
  { servers: ['10.8.0.1'], searchDomains: ['-lead.example'] },
  { servers: ['10.8.0.1'], searchDomains: ['--help'] },
  { servers: ['10.8.0.1'], searchDomains: ['~.'] },
  { servers: ['10.8.0.1'], searchDomains: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
];

/** Interface names that are not one (or that resolvectl/resolvconf would read as something else). */
export const HOSTILE_INTERFACES = [
  '',
  'tun0\n',
  'tun0 eth0',
  '-h',
  '--help',
  '0',
  '5',
  'tun0.viworks',
  '../etc',
  'tun/0',
  'a'.repeat(16),
  'tun0;reboot',
];

/** Every hostile request: each hostile setting on tun0, and a clean setting on each hostile name. */
export function hostileRequests(): DnsApplyRequest[] {
  return [
    ...HOSTILE_SETTINGS.map((s) => ({ ...s, interfaceName: 'tun0', fullTunnel: true })),
    ...HOSTILE_INTERFACES.map((interfaceName) => ({
      servers: ['10.8.0.1'],
      searchDomains: ['corp.example'],
      interfaceName,
      fullTunnel: true,
    })),
    {
      servers: ['10.8.0.1'],
      searchDomains: [],
      interfaceName: 'tun0',
      fullTunnel: 'yes' as unknown as boolean,
    },
  ];
}
