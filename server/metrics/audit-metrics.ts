// The audit stream as metrics: every durable record of this process (AuditService.onRecorded)
// moves the counters and histograms of backend-metrics.ts. Each event is recorded by exactly one
// instance, so Prometheus sums instances without double counting. The listener never throws into
// the audit service and never records an event itself.
import type { AuditEvent } from '../../core/audit/event.js';
import { FUNNEL_ACTIONS } from '../../core/audit/funnel.js';
import type { AuditService } from '../services/audit/service.js';
import type { BackendMetrics, FunnelStage, GatewayStep } from './backend-metrics.js';
import { BoundedLabel, RecentIds } from './labels.js';
import { RevocationTimer } from './revocation.js';

/** Credential failures grouped by country (the geo dashboard and the stuffing rule's sibling). */
const AUTH_FAILURE_ACTIONS = new Set(['auth.login', 'auth.otp_verify', 'admin.login']);

const GATEWAY_STEP: Readonly<Record<string, GatewayStep>> = {
  'spa.accepted': 'spa',
  'spa.rejected': 'spa',
  'spa.replayed': 'spa',
  'tls.handshake': 'tls',
  'ovpn.connect': 'openvpn',
  'ovpn.handshake_failed': 'openvpn',
};

/** Sessions remembered for the funnel's once-per-session tunnel stage. */
const TUNNEL_SESSIONS_KEPT = 10_000;

export interface AuditMetricsOptions {
  /** How long an ended session waits for its gateway's confirmation before it is forgotten. */
  readonly revocationWaitMs?: number;
}

/** Subscribes `metrics` to `audit`; returns the unsubscribe function. */
export function recordMetrics(
  audit: Pick<AuditService, 'onRecorded'>,
  metrics: BackendMetrics,
  opts: AuditMetricsOptions = {},
): () => void {
  const observe = auditObserver(metrics, opts);
  return audit.onRecorded((record) => {
    try {
      observe(record.event);
    } catch {
      // A metric must never break the audit trail; a value it could not take is simply not counted.
    }
  });
}

/** The per-event logic, separate from the subscription so it can be driven directly. */
export function auditObserver(metrics: BackendMetrics, opts: AuditMetricsOptions = {}) {
  const prefixes = new BoundedLabel(64);
  const gateways = new BoundedLabel(256);
  const rules = new BoundedLabel(64);
  const policyActions = new BoundedLabel(32);
  const tunnelSessions = new RecentIds(TUNNEL_SESSIONS_KEPT);
  const revocations = new RevocationTimer(opts.revocationWaitMs);

  const funnel = (e: AuditEvent, stage: FunnelStage) => {
    if (stage === 'tunnel') {
      if (e.result !== 'success') return;
      if (e.session_id) {
        if (tunnelSessions.has(e.session_id)) return; // the other side's report, or a reconnect
        tunnelSessions.set(e.session_id, true);
      }
    }
    metrics.funnel.inc({ stage, result: e.result });
  };

  return (e: AuditEvent): void => {
    const at = Date.parse(e.timestamp);
    metrics.auditEvents.inc({
      component: e.component,
      action_prefix: prefixes.of(e.action.slice(0, e.action.indexOf('.'))),
      result: e.result,
    });
    const stage = FUNNEL_ACTIONS[e.action];
    if (stage) funnel(e, stage);
    if (AUTH_FAILURE_ACTIONS.has(e.action) && (e.result === 'failure' || e.result === 'denied')) {
      metrics.authFailures.inc({ country: e.country ?? 'unknown' });
    }
    if (e.component === 'client' && e.duration_ms !== null) {
      if (e.action === 'client.tls_latency') metrics.clientSpaToTls.observe(e.duration_ms / 1000);
      if (e.action === 'client.tunnel_latency') metrics.clientTlsToTunnel.observe(e.duration_ms / 1000);
    }
    const step = e.component === 'gateway' ? GATEWAY_STEP[e.action] : undefined;
    if (step) metrics.gatewayHandshakes.inc({ gateway: gateways.of(e.gateway), step, result: e.result });
    if (e.component === 'backend' && e.action.startsWith('alert.')) {
      metrics.alerts.inc({ rule: rules.of(e.action.slice('alert.'.length)), severity: e.severity });
    }
    if (e.action.startsWith('policy.')) {
      metrics.policyEvents.inc({ action: policyActions.of(e.action), result: e.result });
    }
    if (e.action === 'session.end' && e.session_id) revocations.ended(e.session_id, e.error_msg, at);
    if (e.action === 'gateway.terminate_session' && e.session_id) {
      // Every attempt is audited; a failed one may be retried, so only a success ends the wait.
      if (e.result !== 'success') {
        const reason = revocations.reasonOf(e.session_id);
        if (reason) metrics.revocationFailures.inc({ reason });
      } else {
        const done = revocations.confirmed(e.session_id, at);
        if (done) metrics.revocation.observe({ reason: done.reason }, done.seconds);
      }
    }
  };
}
