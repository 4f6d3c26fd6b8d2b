// A policy change that widens access (pki-siem §4.6 "Policy relaxation — critical", architecture
// §9.2): the request and the second administrator's approval each alert, every time. A refused
// approval or a rejected, expired change does not: nothing was relaxed.
import type { DetectionRule } from '../rule.js';

/** The change's id leads the event's error_msg: `change <uuid>: <summary>` (services/policy). */
const CHANGE_ID = '^change ([0-9A-Fa-f-]{36}):';

export function policyRelaxation(): DetectionRule {
  return {
    id: 'policy_relaxation',
    title: 'Access policy relaxation requested or approved',
    description:
      'An administrator requested (policy.relaxation_requested) or a second administrator approved ' +
      '(policy.relaxation_approved) a policy change that widens access (split tunnel, geo allow-all, a ' +
      'broader assignment). Every relaxation is reviewed.',
    severity: 'critical',
    key: [{ field: 'error_msg', capture: CHANGE_ID, as: 'change_id' }],
    shape: {
      kind: 'each',
      dedupeMs: 'event',
      triggers: [
        {
          reason: 'requested',
          title: 'Access policy relaxation requested',
          select: { action: ['policy.relaxation_requested'], result: ['success'] },
        },
        {
          reason: 'approved',
          title: 'Access policy relaxation approved',
          select: { action: ['policy.relaxation_approved'], result: ['success'] },
        },
      ],
    },
    falsePositives: ['A planned change (each one is still reviewed)'],
    summary: (f) =>
      `Policy relaxation ${f.reason}${f.event.policy_id ? ` on ${f.event.policy_id}` : ''}: ${f.event.error_msg ?? ''}`,
  };
}
