// Every metric the backend exports (server/metrics/README.md), on its own prom-client Registry: names
// `viworks_…` with their unit, labels of low cardinality only (stages, results, components,
// countries, gateway and rule names — never a user, device, session or address). Counters and
// histograms are fed from the audit stream (audit-metrics.ts); gauges of state are read on each
// scrape (state-collectors.ts). Process metrics are prom-client's defaults, prefixed viworks_backend_.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  REVOCATION_BUCKETS,
  SPA_TO_TLS_BUCKETS,
  TLS_TO_TUNNEL_BUCKETS,
} from '../../core/metrics/slo-buckets.js';

export const FUNNEL_STAGES = ['login', 'otp', 'bootstrap', 'tunnel'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** The data-plane steps a gateway reports (core/gateway/dataplane): SPA knock, TLS, OpenVPN. */
export const GATEWAY_STEPS = ['spa', 'tls', 'openvpn'] as const;
export type GatewayStep = (typeof GATEWAY_STEPS)[number];

export interface BackendMetrics {
  readonly registry: Registry;
  readonly funnel: Counter<'stage' | 'result'>;
  readonly auditEvents: Counter<'component' | 'action_prefix' | 'result'>;
  readonly authFailures: Counter<'country'>;
  readonly clientSpaToTls: Histogram;
  readonly clientTlsToTunnel: Histogram;
  readonly revocation: Histogram<'reason'>;
  readonly revocationFailures: Counter<'reason'>;
  readonly gatewayHandshakes: Counter<'gateway' | 'step' | 'result'>;
  readonly alerts: Counter<'rule' | 'severity'>;
  readonly policyEvents: Counter<'action' | 'result'>;
  readonly sessionsActive: Gauge;
  readonly gatewayUp: Gauge<'gateway'>;
  readonly gatewayLastHealth: Gauge<'gateway'>;
  readonly gatewaySessions: Gauge<'gateway'>;
  readonly shippingLagEvents: Gauge<'path'>;
  readonly shippingLagSeconds: Gauge<'path'>;
  readonly spoolBytes: Gauge<'path'>;
  readonly spoolMaxBytes: Gauge<'path'>;
  readonly deliveryFailing: Gauge<'path'>;
}

/**
 * A fresh registry with every backend metric. `processMetrics: false` leaves out prom-client's
 * default process metrics (each registry that has them samples the event loop).
 */
export function createBackendMetrics(opts: { processMetrics?: boolean } = {}): BackendMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'viworks_backend_' });
  return {
    registry,
    funnel: new Counter({
      name: 'viworks_auth_funnel_total',
      help: 'Steps of the way in, by stage (login, otp, bootstrap, tunnel) and audit result.',
      labelNames: ['stage', 'result'],
      registers,
    }),
    auditEvents: new Counter({
      name: 'viworks_audit_events_total',
      help: 'Audit events recorded by this instance, by component, first action segment and result.',
      labelNames: ['component', 'action_prefix', 'result'],
      registers,
    }),
    authFailures: new Counter({
      name: 'viworks_auth_failures_total',
      help: 'Failed or denied logins and OTP checks, by the source country (unknown: none).',
      labelNames: ['country'],
      registers,
    }),
    clientSpaToTls: new Histogram({
      name: 'viworks_client_spa_to_tls_seconds',
      help: 'Client-reported time from the SPA knock sent to the pinned TLS session up (client.tls_latency).',
      buckets: [...SPA_TO_TLS_BUCKETS],
      registers,
    }),
    clientTlsToTunnel: new Histogram({
      name: 'viworks_client_tls_to_tunnel_seconds',
      help: 'Client-reported time from TLS up to the OpenVPN tunnel up (client.tunnel_latency).',
      buckets: [...TLS_TO_TUNNEL_BUCKETS],
      registers,
    }),
    revocation: new Histogram({
      name: 'viworks_session_revocation_seconds',
      help: 'From a session ended on the backend to its gateway confirming the cut (gateway.terminate_session).',
      labelNames: ['reason'],
      buckets: [...REVOCATION_BUCKETS],
      registers,
    }),
    revocationFailures: new Counter({
      name: 'viworks_session_revocation_failures_total',
      help: 'Failed attempts to cut an ended session on its gateway (gateway.terminate_session); a retry may follow.',
      labelNames: ['reason'],
      registers,
    }),
    gatewayHandshakes: new Counter({
      name: 'viworks_gateway_handshakes_total',
      help: 'Data-plane handshakes reported by gateways, by gateway, step (spa, tls, openvpn) and result.',
      labelNames: ['gateway', 'step', 'result'],
      registers,
    }),
    alerts: new Counter({
      name: 'viworks_alerts_total',
      help: 'Detection alerts raised (alert.<rule> audit events), by rule and severity.',
      labelNames: ['rule', 'severity'],
      registers,
    }),
    policyEvents: new Counter({
      name: 'viworks_policy_events_total',
      help: 'Policy audit events (policy.*: changes, relaxations requested and approved, sessions re-evaluated) by action and result.',
      labelNames: ['action', 'result'],
      registers,
    }),
    sessionsActive: new Gauge({
      name: 'viworks_sessions_active',
      help: 'VPN sessions not ended and not expired (read from the database on each scrape).',
      registers,
    }),
    gatewayUp: new Gauge({
      name: 'viworks_gateway_up',
      help: '1 when the last health check of an active or draining gateway passed, else 0.',
      labelNames: ['gateway'],
      registers,
    }),
    gatewayLastHealth: new Gauge({
      name: 'viworks_gateway_last_health_timestamp_seconds',
      help: 'When the gateway was last health-checked (Unix time), whatever the outcome.',
      labelNames: ['gateway'],
      registers,
    }),
    gatewaySessions: new Gauge({
      name: 'viworks_gateway_sessions',
      help: 'Live VPN sessions per gateway.',
      labelNames: ['gateway'],
      registers,
    }),
    shippingLagEvents: new Gauge({
      name: 'viworks_siem_shipping_lag_events',
      help: 'Audit events recorded but not yet acknowledged by the SIEM, per shipping path.',
      labelNames: ['path'],
      registers,
    }),
    shippingLagSeconds: new Gauge({
      name: 'viworks_siem_shipping_lag_seconds',
      help: 'Age of the oldest audit event the SIEM has not acknowledged yet (0 when none waits).',
      labelNames: ['path'],
      registers,
    }),
    spoolBytes: new Gauge({
      name: 'viworks_siem_spool_bytes',
      help: 'Bytes in the shipping path disk spool.',
      labelNames: ['path'],
      registers,
    }),
    spoolMaxBytes: new Gauge({
      name: 'viworks_siem_spool_max_bytes',
      help: 'Most bytes the shipping path disk spool holds before it stops taking events.',
      labelNames: ['path'],
      registers,
    }),
    deliveryFailing: new Gauge({
      name: 'viworks_siem_delivery_failing',
      help: '1 while deliveries on the shipping path have been failing for a while, else 0.',
      labelNames: ['path'],
      registers,
    }),
  };
}
