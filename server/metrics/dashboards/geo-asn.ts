// Geo / ASN (pki-siem §4.6): countries from Prometheus, autonomous systems from the SIEM's ECS
// index — an AS number is too many values for a metric label.
import type { DashboardSpec } from './grafana.js';
import { R, RANGE } from './queries.js';

const COUNTRY_FAILURES = `sum by (country) (increase(viworks_auth_failures_total[${RANGE}]))`;
const FAILED_AUTH =
  'event.action:("auth.login" OR "auth.otp_verify" OR "admin.login") AND viworks.result:("failure" OR "denied")';

export const geoAsn: DashboardSpec = {
  uid: 'viworks-geo-asn',
  title: 'ViWorkS / Geo and ASN',
  description:
    'Where credential failures come from: countries from Prometheus, autonomous systems (ISP / carrier) from the SIEM index — an AS number is too many values for a metric label.',
  tags: ['geo', 'auth'],
  panels: [
    {
      type: 'geomap',
      title: 'Credential failures by country (range)',
      w: 16,
      h: 12,
      prom: [{ expr: COUNTRY_FAILURES, instant: true, format: 'table' }],
      options: {
        view: { id: 'zero', lat: 20, lon: 0, zoom: 1 },
        controls: { showZoom: true, mouseWheelZoom: false, showAttribution: true },
        basemap: { type: 'default', name: 'Basemap', config: {} },
        layers: [
          {
            type: 'markers',
            name: 'Failures',
            config: {
              showLegend: true,
              style: {
                size: { field: 'Value', min: 4, max: 40, fixed: 5 },
                color: { field: 'Value', fixed: 'dark-red' },
                opacity: 0.6,
              },
            },
            location: { mode: 'lookup', lookup: 'country', gazetteer: 'public/gazetteer/countries.json' },
            tooltip: true,
          },
        ],
        tooltip: { mode: 'details' },
      },
    },
    {
      type: 'table',
      title: 'Top countries (range)',
      w: 8,
      h: 12,
      prom: [{ expr: `topk(15, ${COUNTRY_FAILURES})`, instant: true, format: 'table' }],
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Failures per minute, top 5 countries',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `topk(5, sum by (country) (rate(viworks_auth_failures_total[${R}]))) * 60`,
          legend: '{{country}}',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Anomaly overlay: failures now vs the same hour a week ago',
      w: 12,
      h: 8,
      prom: [
        { expr: 'sum(rate(viworks_auth_failures_total[1h])) * 3600', legend: 'last hour' },
        {
          expr: 'sum(rate(viworks_auth_failures_total[1h] offset 1w)) * 3600',
          legend: 'same hour, a week ago',
        },
      ],
      unit: 'short',
    },
    {
      type: 'bargauge',
      title: 'Top ASNs of credential failures (SIEM)',
      description: 'From the ECS index: source.as.number of failed logins, OTP checks and admin logins.',
      w: 12,
      h: 10,
      es: [{ query: FAILED_AUTH, terms: { field: 'source.as.number', size: 15 } }],
      decimals: 0,
    },
    {
      type: 'bargauge',
      title: 'ISP / carrier mix of successful logins (SIEM)',
      w: 12,
      h: 10,
      es: [
        {
          query: 'event.action:"auth.login" AND viworks.result:"success"',
          terms: { field: 'source.as.number', size: 15 },
        },
      ],
      decimals: 0,
    },
    {
      type: 'text',
      title: 'About ASN',
      w: 24,
      h: 3,
      markdown:
        "The backend counts failures per **country** only (`viworks_auth_failures_total{country}`): an AS-number label would create a series per network an attacker uses. Top ASNs, and the `otp_stuffing` rule's distinct-ASN count, come from the audit stream in the SIEM (`source.as.number`).",
    },
  ],
};
