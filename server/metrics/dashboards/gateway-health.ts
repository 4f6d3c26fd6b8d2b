// Gateway health (pki-siem §4.6): the backend's health checks, handshakes and sessions per
// gateway, revocation propagation, SIEM shipping and the backend process.
import { type DashboardSpec, gatewayVariable } from './grafana.js';
import { GW, R, row } from './queries.js';

export const gatewayHealth: DashboardSpec = {
  uid: 'viworks-gateway-health',
  title: 'ViWorkS / Gateway health',
  description:
    "Per gateway: the backend's last health check, handshakes per minute, sessions; revocation propagation, SIEM shipping and the backend process.",
  tags: ['gateway', 'health'],
  variables: [gatewayVariable('viworks_gateway_up')],
  panels: [
    {
      type: 'stat',
      title: 'Up (last health check)',
      w: 8,
      h: 5,
      prom: [{ expr: `viworks_gateway_up{${GW}}`, legend: '{{gateway}}' }],
      thresholds: [],
      mappings: [
        {
          type: 'value',
          options: {
            '0': { text: 'DOWN', color: 'red', index: 0 },
            '1': { text: 'UP', color: 'green', index: 1 },
          },
        },
      ],
      options: { colorMode: 'background' },
    },
    {
      type: 'stat',
      title: 'Since the last health check',
      description: 'The backend polls every gatewayPollIntervalS (30 s by default).',
      w: 8,
      h: 5,
      prom: [
        { expr: `time() - viworks_gateway_last_health_timestamp_seconds{${GW}}`, legend: '{{gateway}}' },
      ],
      unit: 's',
      thresholds: [
        [90, 'orange'],
        [300, 'red'],
      ],
    },
    {
      type: 'stat',
      title: 'Live sessions',
      w: 8,
      h: 5,
      prom: [{ expr: 'viworks_sessions_active', legend: 'all gateways' }],
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Handshakes per minute per gateway',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `sum by (gateway) (rate(viworks_gateway_handshakes_total{${GW}}[${R}])) * 60`,
          legend: '{{gateway}}',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Failed handshakes per minute per gateway and step',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `sum by (gateway, step) (rate(viworks_gateway_handshakes_total{result!="success",${GW}}[${R}])) * 60`,
          legend: '{{gateway}} {{step}}',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Sessions per gateway',
      w: 12,
      h: 8,
      prom: [{ expr: `viworks_gateway_sessions{${GW}}`, legend: '{{gateway}}' }],
      stacked: true,
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Revocation propagation p95 (backend → gateway confirmed)',
      description: 'From session.end to gateway.terminate_session success. Line: the 10 s objective.',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `histogram_quantile(0.95, sum by (le, reason) (rate(viworks_session_revocation_seconds_bucket[${R}])))`,
          legend: '{{reason}}',
        },
        {
          expr: `sum by (reason) (increase(viworks_session_revocation_failures_total[${R}]))`,
          legend: 'failed attempts: {{reason}}',
        },
      ],
      unit: 's',
      thresholds: [[10, 'red']],
      thresholdLines: true,
    },
    row('SIEM shipping'),
    {
      type: 'timeseries',
      title: 'Events not yet acknowledged by the SIEM',
      w: 8,
      h: 7,
      prom: [{ expr: 'viworks_siem_shipping_lag_events', legend: '{{path}}' }],
      decimals: 0,
    },
    {
      type: 'timeseries',
      title: 'Age of the oldest unacknowledged event',
      w: 8,
      h: 7,
      prom: [{ expr: 'viworks_siem_shipping_lag_seconds', legend: '{{path}}' }],
      unit: 's',
      thresholds: [[60, 'red']],
      thresholdLines: true,
    },
    {
      type: 'timeseries',
      title: 'Spool fill and failing deliveries',
      w: 8,
      h: 7,
      prom: [
        { expr: 'viworks_siem_spool_bytes / viworks_siem_spool_max_bytes', legend: 'spool {{path}}' },
        { expr: 'viworks_siem_delivery_failing', legend: 'failing {{path}}' },
      ],
      unit: 'percentunit',
      max: 1,
      thresholds: [[0.8, 'orange']],
      thresholdLines: true,
    },
    row('Backend process'),
    {
      type: 'timeseries',
      title: 'Backend CPU',
      w: 8,
      h: 7,
      prom: [{ expr: `rate(viworks_backend_process_cpu_seconds_total[${R}])`, legend: '{{instance}}' }],
      unit: 'percentunit',
    },
    {
      type: 'timeseries',
      title: 'Backend resident memory',
      w: 8,
      h: 7,
      prom: [{ expr: 'viworks_backend_process_resident_memory_bytes', legend: '{{instance}}' }],
      unit: 'bytes',
    },
    {
      type: 'timeseries',
      title: 'Backend event loop lag p99',
      w: 8,
      h: 7,
      prom: [{ expr: 'viworks_backend_nodejs_eventloop_lag_p99_seconds', legend: '{{instance}}' }],
      unit: 's',
    },
    {
      type: 'text',
      title: 'Gateway CPU and memory',
      w: 24,
      h: 3,
      markdown:
        'Per-node CPU and memory come from the host exporter on each gateway (e.g. prometheus-node-exporter: `node_cpu_seconds_total`, `node_memory_MemAvailable_bytes`), not from ViWorkS; add those panels beside these once the nodes are scraped.',
    },
  ],
};
