// A burst of refused SPA packets at one gateway (pki-siem §9.2 "send invalid SPA bursts → DoS rule
// triggers"): garbage, wrong keys and replays cost fwknopd a decryption each and tell of someone
// hammering the front door.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

export function spaProbeBurst(s: DetectionSettings): DetectionRule {
  const { threshold, windowS } = s.spaProbeBurst;
  return {
    id: 'spa_probe_burst',
    title: 'Burst of rejected or replayed SPA packets at a gateway',
    description:
      `At least ${threshold} SPA packets were rejected (spa.rejected) or replayed (spa.replayed) at one ` +
      `gateway within ${windowS} s: a flood of invalid or captured knocks (DoS or key guessing).`,
    severity: 'error',
    key: ['gateway'],
    shape: {
      kind: 'count',
      select: { action: ['spa.rejected', 'spa.replayed'], component: ['gateway'] },
      op: 'gte',
      threshold,
      windowMs: windowS * 1000,
    },
    falsePositives: ['A misconfigured client retrying with stale SPA keys in a tight loop'],
    summary: (f) =>
      `${f.count} rejected or replayed SPA packets at gateway ${f.keyValues.gateway ?? '?'} within ${windowS} s ` +
      `(last from ${f.event.src_ip ?? '?'})`,
  };
}
