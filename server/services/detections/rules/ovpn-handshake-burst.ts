// OpenVPN churn at one gateway (pki-siem §4.6 "DoS indicators: handshake bursts; OpenVPN churn",
// architecture §9.2 openvpn_handshakes_per_min > threshold): connects and failed handshakes
// together, since a flood shows as either.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

export function ovpnHandshakeBurst(s: DetectionSettings): DetectionRule {
  const { threshold, windowS } = s.ovpnHandshakeBurst;
  return {
    id: 'ovpn_handshake_burst',
    title: 'OpenVPN handshake burst at a gateway',
    description:
      `More than ${threshold} OpenVPN handshakes (ovpn.connect and ovpn.handshake_failed) at one gateway ` +
      `within ${windowS} s: a flood or a reconnect storm.`,
    severity: 'error',
    key: ['gateway'],
    shape: {
      kind: 'count',
      select: { action: ['ovpn.connect', 'ovpn.handshake_failed'], component: ['gateway'] },
      op: 'gt',
      threshold,
      windowMs: windowS * 1000,
    },
    falsePositives: ['Every client reconnecting at once after a gateway restart or a network outage'],
    summary: (f) =>
      `${f.count} OpenVPN handshakes at gateway ${f.keyValues.gateway ?? '?'} within ${windowS} s (threshold ${threshold})`,
  };
}
