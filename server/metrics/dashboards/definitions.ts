// The five dashboards of pki-siem §4.6 over the metrics of server/metrics and daemon/localapi:
// Auth Funnel, Handshake Metrics, Geo/ASN, Policy Changes, Gateway Health. `write.ts` renders them
// to siem/grafana/*.json; dashboards.test.ts keeps the files equal to these and every PromQL name
// among the metrics the backend and the daemon register. ASN is never a Prometheus label (too many
// values): the Geo/ASN dashboard reads it from the SIEM's ECS index (source.as.number).
import { authFunnel } from './auth-funnel.js';
import { gatewayHealth } from './gateway-health.js';
import { geoAsn } from './geo-asn.js';
import { type DashboardSpec, dashboard, type JsonObject } from './grafana.js';
import { handshakeMetrics } from './handshake-metrics.js';
import { policyChanges } from './policy-changes.js';

export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = {
  'auth-funnel': authFunnel,
  'handshake-metrics': handshakeMetrics,
  'geo-asn': geoAsn,
  'policy-changes': policyChanges,
  'gateway-health': gatewayHealth,
};

/** Each dashboard as its siem/grafana/<name>.json document. */
export function renderDashboards(): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([name, spec]) => [name, dashboard(spec)]));
}
