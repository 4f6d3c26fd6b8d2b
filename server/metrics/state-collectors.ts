// Gauges of state, read once per scrape: live sessions (one indexed count and one group-by),
// gateway health from the rows the poller updates (services/gateways/operations.ts health()), and
// the SIEM shipping paths' lag from their shippers' own stats plus the audit chain's head. Label
// sets of gateways or paths that went away are dropped (reset) before the fresh values are set.
import type { Db } from '../data/client.js';
import type { ShipperStats } from '../services/audit/shipping/shipper.js';
import type { BackendMetrics } from './backend-metrics.js';
import type { MetricsSource } from './server.js';

export interface StateSources {
  readonly db: Pick<Db, 'session' | 'gateway' | 'auditEvent'>;
  /** Each configured SIEM path's stats (AuditPipeline.shipping); absent: no shipping metrics. */
  readonly shipping?: () => readonly ShipperStats[];
  readonly now?: () => Date;
}

/** Gateways whose health is expected: those in service or being drained. */
const WATCHED_STATUSES = new Set(['active', 'draining']);

/** Reads the state into the gauges; call it right before the registry renders. */
export function stateRefresher(metrics: BackendMetrics, sources: StateSources): () => Promise<void> {
  const now = sources.now ?? (() => new Date());
  return async () => {
    const live = { endedAt: null, expiresAt: { gt: now() } };
    const [active, perGateway, gateways, head] = await Promise.all([
      sources.db.session.count({ where: live }),
      sources.db.session.groupBy({ by: ['gatewayId'], where: live, _count: { _all: true } }),
      sources.db.gateway.findMany({
        select: { id: true, name: true, status: true, lastHealthAt: true, lastHealthOk: true },
      }),
      sources.db.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } }),
    ]);
    metrics.sessionsActive.set(active);

    metrics.gatewayUp.reset();
    metrics.gatewayLastHealth.reset();
    metrics.gatewaySessions.reset();
    const names = new Map(gateways.map((g) => [g.id, g.name]));
    for (const g of gateways) {
      if (!WATCHED_STATUSES.has(g.status)) continue;
      metrics.gatewayUp.set({ gateway: g.name }, g.lastHealthOk ? 1 : 0);
      metrics.gatewaySessions.set({ gateway: g.name }, 0);
      if (g.lastHealthAt) metrics.gatewayLastHealth.set({ gateway: g.name }, g.lastHealthAt.getTime() / 1000);
    }
    for (const row of perGateway) {
      metrics.gatewaySessions.set({ gateway: names.get(row.gatewayId) ?? 'unknown' }, row._count._all);
    }

    const headSeq = Number(head?.seq ?? 0n);
    for (const gauge of [
      metrics.shippingLagEvents,
      metrics.shippingLagSeconds,
      metrics.spoolBytes,
      metrics.spoolMaxBytes,
      metrics.deliveryFailing,
    ]) {
      gauge.reset();
    }
    for (const s of sources.shipping?.() ?? []) {
      const path = { path: s.path };
      metrics.shippingLagEvents.set(path, Math.max(0, headSeq - s.ackedSeq));
      metrics.shippingLagSeconds.set(path, s.lagMs / 1000);
      metrics.spoolBytes.set(path, s.spoolBytes);
      metrics.spoolMaxBytes.set(path, s.maxBytes);
      metrics.deliveryFailing.set(path, s.deliveryFailing ? 1 : 0);
    }
  };
}

/** What the listener scrapes: the state read first, then the whole registry rendered. */
export function scrapeSource(metrics: BackendMetrics, refresh: () => Promise<void>): MetricsSource {
  return {
    contentType: metrics.registry.contentType,
    metrics: async () => {
      await refresh();
      return metrics.registry.metrics();
    },
  };
}
