// Auth funnel (pki-siem §4.6): login → OTP → bootstrap → tunnel, from viworks_auth_funnel_total.
import type { DashboardSpec } from './grafana.js';
import { R, RANGE } from './queries.js';

const funnelStage = (stage: string) =>
  `sum(increase(viworks_auth_funnel_total{stage="${stage}",result="success"}[${RANGE}]))`;

export const authFunnel: DashboardSpec = {
  uid: 'viworks-auth-funnel',
  title: 'ViWorkS / Auth funnel',
  description: 'login → OTP → bootstrap → tunnel (pki-siem §4.6): how many get how far, and where they stop.',
  tags: ['auth'],
  panels: [
    {
      type: 'bargauge',
      title: 'Funnel over the range (successes per stage)',
      description:
        'Tunnel counts once per session, whether the gateway saw it (ovpn.connect) or the client reported it.',
      w: 12,
      h: 8,
      prom: [
        { expr: funnelStage('login'), legend: '1 login', instant: true },
        { expr: funnelStage('otp'), legend: '2 OTP', instant: true },
        { expr: funnelStage('bootstrap'), legend: '3 bootstrap', instant: true },
        { expr: funnelStage('tunnel'), legend: '4 tunnel', instant: true },
      ],
      decimals: 0,
    },
    {
      type: 'stat',
      title: 'Login → tunnel',
      description: 'Tunnels up per accepted password over the range.',
      w: 4,
      h: 8,
      prom: [{ expr: `${funnelStage('tunnel')} / ${funnelStage('login')}`, instant: true }],
      unit: 'percentunit',
      thresholds: [],
    },
    {
      type: 'stat',
      title: 'Wrong codes over the range',
      w: 4,
      h: 8,
      prom: [
        {
          expr: `sum(increase(viworks_auth_funnel_total{stage="otp",result=~"failure|denied"}[${RANGE}]))`,
          instant: true,
        },
      ],
      decimals: 0,
      thresholds: [
        [10, 'orange'],
        [100, 'red'],
      ],
    },
    {
      type: 'stat',
      title: 'Rejected passwords over the range',
      w: 4,
      h: 8,
      prom: [
        {
          expr: `sum(increase(viworks_auth_funnel_total{stage="login",result=~"failure|denied"}[${RANGE}]))`,
          instant: true,
        },
      ],
      decimals: 0,
      thresholds: [
        [10, 'orange'],
        [100, 'red'],
      ],
    },
    {
      type: 'timeseries',
      title: 'Step conversion (1 h windows)',
      description: "Each stage's successes over the previous stage's, in sliding hours.",
      w: 12,
      h: 8,
      prom: [
        {
          expr: 'sum(increase(viworks_auth_funnel_total{stage="otp",result="success"}[1h])) / sum(increase(viworks_auth_funnel_total{stage="login",result="success"}[1h]))',
          legend: 'login → OTP',
        },
        {
          expr: 'sum(increase(viworks_auth_funnel_total{stage="bootstrap",result="success"}[1h])) / sum(increase(viworks_auth_funnel_total{stage="otp",result="success"}[1h]))',
          legend: 'OTP → bootstrap',
        },
        {
          expr: 'sum(increase(viworks_auth_funnel_total{stage="tunnel",result="success"}[1h])) / sum(increase(viworks_auth_funnel_total{stage="bootstrap",result="success"}[1h]))',
          legend: 'bootstrap → tunnel',
        },
      ],
      unit: 'percentunit',
      min: 0,
    },
    {
      type: 'timeseries',
      title: 'Attempts per minute by stage and result',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `sum by (stage, result) (rate(viworks_auth_funnel_total[${R}])) * 60`,
          legend: '{{stage}} {{result}}',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Credential failures per minute (password, OTP, admin login)',
      w: 24,
      h: 7,
      prom: [{ expr: `sum(rate(viworks_auth_failures_total[${R}])) * 60`, legend: 'failures / min' }],
      unit: 'short',
    },
  ],
};
