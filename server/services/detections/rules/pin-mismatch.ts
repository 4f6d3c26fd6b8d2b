// A TLS certificate that did not match the client's pinned SPKI (pki-siem §4.2): at the gateway,
// where nothing but our stunnel should answer, that is possible interception (critical); at the
// backend API it may also be a TLS-inspecting proxy on the client's network (error). The endpoint
// leads the event's error_msg (`gateway …` / `backend …`, server/services/device); a report that
// does not say counts as the gateway, so an interception is never underrated.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

const BACKEND = { startsWith: ['backend'] };

export function pinMismatch(s: DetectionSettings): DetectionRule {
  return {
    id: 'pin_mismatch',
    title: 'Client saw a certificate that does not match its SPKI pin',
    description:
      'An enrolled device reported that the gateway or the backend presented a certificate whose SPKI is ' +
      'not pinned (client.pin_mismatch): an interception attempt, or a certificate rotated without a pin roll.',
    severity: 'critical',
    key: ['device_id'],
    shape: {
      kind: 'each',
      dedupeMs: s.pinRoll.mismatchDedupeS * 1000,
      triggers: [
        {
          reason: 'backend',
          title: 'Client saw an unpinned certificate at the backend',
          severity: 'error',
          select: { action: ['client.pin_mismatch'], component: ['client'], where: { error_msg: BACKEND } },
        },
        {
          reason: 'gateway',
          title: 'Client saw an unpinned certificate at a gateway',
          severity: 'critical',
          select: { action: ['client.pin_mismatch'], component: ['client'], unless: { error_msg: BACKEND } },
        },
      ],
    },
    falsePositives: ['A certificate rotated without first deploying its pin (a broken pin roll)'],
    summary: (f) =>
      `Device ${f.keyValues.device_id ?? '?'} saw an unpinned certificate at the ${f.reason}` +
      `${f.event.src_ip ? ` (from ${f.event.src_ip})` : ''}`,
  };
}
