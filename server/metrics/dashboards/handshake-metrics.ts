// Handshake metrics (pki-siem §4.6): SPA → TLS → OpenVPN latencies against the objectives
// (architecture §9.3), success rates per data-plane step, and the daemon's own phases.
import { type DashboardSpec, gatewayVariable } from './grafana.js';
import { GW, quantile, R, RANGE, row, within } from './queries.js';

export const handshakeMetrics: DashboardSpec = {
  uid: 'viworks-handshakes',
  title: 'ViWorkS / Handshake metrics',
  description:
    'SPA → TLS → OpenVPN: latencies against the objectives (p50 < 400 ms, p95 < 800 ms, bring-up < 2 s) and success rates per step.',
  tags: ['handshake', 'gateway'],
  variables: [gatewayVariable('viworks_gateway_handshakes_total')],
  panels: [
    row('Latency (client-reported, every connect and reconnect)'),
    {
      type: 'timeseries',
      title: 'SPA sent → TLS established',
      description: 'client.tls_latency. Lines: the 400 ms (p50) and 800 ms (p95) objectives.',
      w: 12,
      h: 8,
      prom: [
        { expr: quantile(0.5, 'viworks_client_spa_to_tls_seconds'), legend: 'p50' },
        { expr: quantile(0.95, 'viworks_client_spa_to_tls_seconds'), legend: 'p95' },
      ],
      unit: 's',
      thresholds: [
        [0.4, 'orange'],
        [0.8, 'red'],
      ],
      thresholdLines: true,
    },
    {
      type: 'timeseries',
      title: 'TLS established → OpenVPN up',
      description: 'client.tunnel_latency. Line: the 2 s bring-up objective.',
      w: 12,
      h: 8,
      prom: [
        { expr: quantile(0.5, 'viworks_client_tls_to_tunnel_seconds'), legend: 'p50' },
        { expr: quantile(0.95, 'viworks_client_tls_to_tunnel_seconds'), legend: 'p95' },
      ],
      unit: 's',
      thresholds: [[2, 'red']],
      thresholdLines: true,
    },
    {
      type: 'stat',
      title: 'SPA → TLS within 800 ms',
      w: 6,
      h: 5,
      prom: [{ expr: within('viworks_client_spa_to_tls_seconds', '0.8'), instant: true }],
      unit: 'percentunit',
      thresholds: [],
      options: { colorMode: 'value' },
    },
    {
      type: 'stat',
      title: 'Bring-up within 2 s',
      w: 6,
      h: 5,
      prom: [{ expr: within('viworks_client_tls_to_tunnel_seconds', '2'), instant: true }],
      unit: 'percentunit',
    },
    {
      type: 'heatmap',
      title: 'SPA → TLS distribution',
      w: 12,
      h: 10,
      prom: [
        {
          expr: `sum by (le) (increase(viworks_client_spa_to_tls_seconds_bucket[${R}]))`,
          legend: '{{le}}',
          format: 'heatmap',
        },
      ],
      unit: 's',
    },
    {
      type: 'stat',
      title: 'Tunnels measured over the range',
      w: 12,
      h: 5,
      prom: [{ expr: `sum(increase(viworks_client_tls_to_tunnel_seconds_count[${RANGE}]))`, instant: true }],
      decimals: 0,
    },
    row('Success rates (gateway data plane)'),
    {
      type: 'timeseries',
      title: 'Success rate per step',
      description:
        'Line: the 99.5 % handshake success objective. A knock that is rejected or replayed counts as a failed SPA step.',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `sum by (step) (rate(viworks_gateway_handshakes_total{result="success",${GW}}[${R}])) / sum by (step) (rate(viworks_gateway_handshakes_total{${GW}}[${R}]))`,
          legend: '{{step}}',
        },
      ],
      unit: 'percentunit',
      max: 1,
      thresholds: [[0.995, 'green']],
      thresholdLines: true,
    },
    {
      type: 'timeseries',
      title: 'Handshakes per minute by step and result',
      w: 12,
      h: 8,
      prom: [
        {
          expr: `sum by (step, result) (rate(viworks_gateway_handshakes_total{${GW}}[${R}])) * 60`,
          legend: '{{step}} {{result}}',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Knocks accepted without a TLS handshake (5 min)',
      description:
        'Accepted SPA knocks minus completed TLS handshakes: probing shows as a gap that stays open.',
      w: 12,
      h: 7,
      prom: [
        {
          expr: `sum(increase(viworks_gateway_handshakes_total{step="spa",result="success",${GW}}[5m])) - sum(increase(viworks_gateway_handshakes_total{step="tls",result="success",${GW}}[5m]))`,
          legend: 'SPA − TLS',
        },
      ],
      unit: 'short',
    },
    {
      type: 'timeseries',
      title: 'Handshake alerts',
      w: 12,
      h: 7,
      prom: [
        {
          expr: `sum by (rule) (increase(viworks_alerts_total{rule=~"spa_without_tls|spa_probe_burst|ovpn_handshake_burst|tls_fingerprint_unknown|pin_mismatch|pin_roll_stale"}[${R}]))`,
          legend: '{{rule}}',
        },
      ],
      bars: true,
      decimals: 0,
    },
    row('This machine (viworksd GET /v1/metrics, where exported)'),
    {
      type: 'timeseries',
      title: 'viworksd phases p95',
      w: 12,
      h: 7,
      prom: [
        { expr: quantile(0.95, 'viworks_daemon_spa_to_tls_seconds'), legend: 'SPA → TLS' },
        { expr: quantile(0.95, 'viworks_daemon_tls_to_tunnel_seconds'), legend: 'TLS → tunnel' },
        { expr: quantile(0.95, 'viworks_daemon_connect_seconds'), legend: 'whole connect' },
      ],
      unit: 's',
    },
    {
      type: 'timeseries',
      title: 'viworksd connects and reconnects',
      w: 12,
      h: 7,
      prom: [
        {
          expr: `sum by (result) (increase(viworks_daemon_connects_total[${R}]))`,
          legend: 'connect {{result}}',
        },
        {
          expr: `sum by (result) (increase(viworks_daemon_reconnects_total[${R}]))`,
          legend: 'reconnect {{result}}',
        },
      ],
      bars: true,
      decimals: 0,
    },
  ],
};
