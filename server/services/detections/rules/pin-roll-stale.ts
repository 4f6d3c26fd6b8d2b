// A client still presenting a retired SPKI pin after the pin-roll window (pki-siem §4.2, §4.6
// "Pin-roll mismatch: clients presenting old pin when window elapsed"): the backend records
// client.pin_stale at login; this rule turns it into one alert per device per day.
import type { DetectionRule } from '../rule.js';
import type { DetectionSettings } from '../settings.js';

export function pinRollStale(s: DetectionSettings): DetectionRule {
  return {
    id: 'pin_roll_stale',
    title: 'Client still holds a retired SPKI pin after the pin-roll window',
    description:
      'A device logged in with a pin set that still contains an SPKI pin retired more than the pin-roll ' +
      'window ago (client.pin_stale): the device missed the pin update and will fail at the next rotation.',
    severity: 'warning',
    key: ['device_id'],
    shape: {
      kind: 'each',
      dedupeMs: s.pinRoll.staleDedupeS * 1000,
      triggers: [{ reason: 'stale', select: { action: ['client.pin_stale'], component: ['client'] } }],
    },
    falsePositives: ['A device that was offline for the whole pin-roll window'],
    summary: (f) =>
      `Device ${f.keyValues.device_id ?? '?'} still holds a retired pin${f.event.error_msg ? `: ${f.event.error_msg}` : ''}`,
  };
}
