// Policy changes (pki-siem §4.6): relaxations and their second approval, policy events over time,
// alerts, and the events themselves from the SIEM.
import type { DashboardSpec } from './grafana.js';
import { RANGE } from './queries.js';

const POLICY = (action: string) => `sum(increase(viworks_policy_events_total{action="${action}"}[${RANGE}]))`;

export const policyChanges: DashboardSpec = {
  uid: 'viworks-policy-changes',
  title: 'ViWorkS / Policy changes',
  description:
    'Policy changes and relaxations (a second administrator approves each), sessions ended by policy, and the alerts.',
  tags: ['policy', 'alerts'],
  time: 'now-7d',
  panels: [
    {
      type: 'stat',
      title: 'Relaxations requested',
      w: 6,
      h: 5,
      prom: [{ expr: POLICY('policy.relaxation_requested'), instant: true }],
      decimals: 0,
      thresholds: [[1, 'orange']],
    },
    {
      type: 'stat',
      title: 'Relaxations approved (second administrator)',
      w: 6,
      h: 5,
      prom: [{ expr: POLICY('policy.relaxation_approved'), instant: true }],
      decimals: 0,
      thresholds: [[1, 'red']],
    },
    {
      type: 'stat',
      title: 'Relaxations rejected or expired',
      w: 6,
      h: 5,
      prom: [
        {
          expr: `sum(increase(viworks_policy_events_total{action=~"policy.relaxation_(rejected|expired)"}[${RANGE}]))`,
          instant: true,
        },
      ],
      decimals: 0,
    },
    {
      type: 'stat',
      title: 'Critical alerts',
      w: 6,
      h: 5,
      prom: [{ expr: `sum(increase(viworks_alerts_total{severity="critical"}[${RANGE}]))`, instant: true }],
      decimals: 0,
      thresholds: [[1, 'red']],
    },
    {
      type: 'timeseries',
      title: 'Policy events by action (timeline)',
      w: 24,
      h: 8,
      prom: [
        {
          expr: 'sum by (action) (increase(viworks_policy_events_total[$__interval]))',
          legend: '{{action}}',
        },
      ],
      bars: true,
      stacked: true,
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Policy audit events by result',
      w: 12,
      h: 8,
      prom: [
        {
          expr: 'sum by (result) (increase(viworks_audit_events_total{action_prefix="policy"}[$__interval]))',
          legend: '{{result}}',
        },
      ],
      bars: true,
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Alerts by rule and severity',
      w: 12,
      h: 8,
      prom: [
        {
          expr: 'sum by (rule, severity) (increase(viworks_alerts_total[$__interval]))',
          legend: '{{rule}} ({{severity}})',
        },
      ],
      bars: true,
      stacked: true,
      decimals: 0,
    },
    {
      type: 'table',
      title: 'Policy change timeline (SIEM): who, what, when',
      description:
        'The policy.* events themselves from the ECS index, newest first: user (pseudonym), policy, result, trace.',
      w: 24,
      h: 10,
      es: [{ query: 'event.action:policy.*', rawData: 200 }],
    },
  ],
};
