// SPA opened the port and nobody came (pki-siem §4.6, architecture §9.2): a valid knock from a source
// with no TLS handshake from that source at that gateway within 60 s. A knock needs a device's SPA
// keys, so this is a stolen key being tested, a scanner replaying a captured packet from the same
// address, or a client that died right after knocking.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

export function spaWithoutTls(s: DetectionSettings): DetectionRule {
  const within = s.spaWithoutTls.withinS;
  return {
    id: 'spa_without_tls',
    title: 'SPA accepted without a follow-up TLS handshake',
    description:
      `An SPA packet was accepted at a gateway (spa.accepted) and no TLS handshake from the same source ` +
      `address succeeded at that gateway (tls.handshake, result success) within ${within} s: a probing ` +
      'knock with a valid SPA key, or a client that stopped right after knocking.',
    severity: 'warning',
    key: ['gateway', 'src_ip'],
    shape: {
      kind: 'absence',
      open: { action: ['spa.accepted'], component: ['gateway'], result: ['success'], present: ['src_ip'] },
      close: { action: ['tls.handshake'], component: ['gateway'], result: ['success'], present: ['src_ip'] },
      withinMs: within * 1000,
      lagMs: s.spaWithoutTls.ingestLagS * 1000,
    },
    falsePositives: [
      'A client that lost its network or was stopped between the knock and the TLS connection',
      'A TLS connection refused for another reason (its tls.handshake failure is in the stream)',
    ],
    summary: (f) =>
      `SPA from ${f.keyValues.src_ip ?? '?'} accepted at gateway ${f.keyValues.gateway ?? '?'}` +
      `${f.event.fwknop_id ? ` (key ${f.event.fwknop_id})` : ''} with no TLS handshake within ${within} s`,
  };
}
