// The backend's metrics, put together for the start sequence (server/start.ts): the registry, the
// audit-stream subscriber, the per-scrape state, and the listener — or nothing at all when
// `metrics.listen` is null (the default: no listener, no subscriber, no process sampling).
import type { Db } from '../data/client.js';
import type { AuditService } from '../services/audit/service.js';
import type { ShipperStats } from '../services/audit/shipping/shipper.js';
import { recordMetrics } from './audit-metrics.js';
import { type BackendMetrics, createBackendMetrics } from './backend-metrics.js';
import { type MetricsLog, type MetricsServer, startMetricsServer } from './server.js';
import { type MetricsSettings, metricsTokenPath } from './settings.js';
import { scrapeSource, stateRefresher } from './state-collectors.js';

export interface BackendMetricsDeps {
  readonly settings: MetricsSettings;
  readonly dataDir: string;
  readonly db: Db;
  readonly audit: Pick<AuditService, 'onRecorded'>;
  /** The SIEM paths' stats; a closure, so the pipeline may start after the metrics. */
  readonly shipping?: () => readonly ShipperStats[];
  readonly log: MetricsLog;
  readonly now?: () => Date;
}

export interface RunningMetrics {
  readonly metrics: BackendMetrics;
  readonly server: MetricsServer;
  stop(): Promise<void>;
}

/** Starts everything metrics need; null when they are off. Throws VIW_E_CONFIG as the listener does. */
export async function startBackendMetrics(deps: BackendMetricsDeps): Promise<RunningMetrics | null> {
  if (deps.settings.listen === null) return null;
  const metrics = createBackendMetrics();
  const refresh = stateRefresher(metrics, {
    db: deps.db,
    ...(deps.shipping ? { shipping: deps.shipping } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const server = await startMetricsServer({
    listen: deps.settings.listen,
    tokenFile: metricsTokenPath(deps.dataDir, deps.settings),
    registry: scrapeSource(metrics, refresh),
    log: deps.log,
  });
  const unsubscribe = recordMetrics(deps.audit, metrics);
  return {
    metrics,
    server,
    async stop() {
      unsubscribe();
      await server.close();
    },
  };
}
