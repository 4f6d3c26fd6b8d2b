// What watches the audit stream besides the shippers: the detection engine (its alerts become Alert
// rows, `alert.<rule>` events and optional signed webhook posts) and the Prometheus listener
// (docs/detections.md). Started after the app is built and before the API listens.
import type { FastifyBaseLogger } from 'fastify';
import type { AuditContext } from '../core/audit/event.js';
import type { AppContext } from './context.js';
import { type RunningMetrics, startBackendMetrics } from './metrics/backend.js';
import type { ShipperStats } from './services/audit/shipping/shipper.js';
import { startDetections } from './services/detections/engine.js';
import { createAlertSink } from './services/detections/sink.js';
import { createAlertWebhook } from './services/detections/webhook.js';

/**
 * The detection engine (its alerts: Alert rows, `alert.<rule>` events, the optional signed webhook)
 * and the Prometheus listener, both fed by the audit stream. A bad metrics token file stops the
 * start (VIW_E_CONFIG) before the API listens.
 */
export async function startObservers(
  ctx: AppContext,
  opts: { readonly auditContext: AuditContext; readonly log: FastifyBaseLogger },
) {
  const { config, db, audit, kv } = ctx;
  const { log } = opts;
  const lines = {
    info: (m: string) => log.info(m),
    warn: (m: string) => log.warn(m),
    error: (m: string) => log.error(m),
  };
  // Checked (https only, no credentials in the URL) and filled with defaults by loadConfig.
  const hook = config.detections.webhook;
  const webhook = hook
    ? createAlertWebhook({ settings: hook, origin: opts.auditContext, dataDir: config.dataDir, log: lines })
    : null;
  const sink = createAlertSink({ db, audit, webhook, log: lines });
  const detections = startDetections({ audit, kv, sink, settings: config.detections, log });
  let shipping: () => readonly ShipperStats[] = () => [];
  let metrics: RunningMetrics | null = null;
  try {
    metrics = await startBackendMetrics({
      settings: config.metrics,
      dataDir: config.dataDir,
      db,
      audit,
      shipping: () => shipping(),
      log: lines,
      now: ctx.now,
    });
  } catch (err) {
    await detections.stop();
    await webhook?.stop();
    throw err;
  }
  if (metrics) log.info({ metrics: metrics.server.address }, 'Prometheus metrics listening (bearer token)');
  return {
    /** The SIEM paths' stats, once the audit pipeline runs. */
    shipping(source: () => readonly ShipperStats[]) {
      shipping = source;
    },
    async stop() {
      await metrics?.stop();
      await detections.stop();
      await webhook?.stop();
    },
  };
}
