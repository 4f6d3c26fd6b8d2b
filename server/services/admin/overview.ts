// Admin API: the overview (GET /admin/overview), the panel's first page. Everything is read from the
// database — not from this instance's memory or metrics — so every backend instance gives the same
// answer: live sessions, the auth funnel of the last hour from the audit table, the gateways' last
// health poll, and the alerts nobody acknowledged.
import {
  FUNNEL_MAX_EVENTS,
  FUNNEL_WINDOW_S,
  type FunnelStageViewT,
  OVERVIEW_MAX_GATEWAYS,
  type OverviewGatewayViewT,
  type OverviewReplyT,
} from '../../../core/api/admin-overview.js';
import { FUNNEL_ACTIONS, FUNNEL_STAGES, type FunnelStage } from '../../../core/audit/funnel.js';
import type { AdminDeps } from './credentials.js';
import { iso } from './paging.js';

type Deps = Pick<AdminDeps, 'db' | 'now'>;
const BATCH = 1000;

interface FunnelCount {
  readonly stages: FunnelStageViewT[];
  readonly complete: boolean;
}

/**
 * Counts the funnel's events in [from, to) as the funnel metrics do (core/audit/funnel.ts): each
 * stage's successes and failures, the tunnel stage once per session and successes only. Events
 * are narrowed by time (indexed) and action text in the database, then checked exactly; at most
 * `max` are read.
 */
export async function countFunnel(
  deps: Pick<AdminDeps, 'db'>,
  from: Date,
  to: Date,
  max = FUNNEL_MAX_EVENTS,
): Promise<FunnelCount> {
  const counts = new Map<FunnelStage, { success: number; failed: number }>(
    FUNNEL_STAGES.map((s) => [s, { success: 0, failed: 0 }]),
  );
  const tunnels = new Set<string>();
  const actions = Object.keys(FUNNEL_ACTIONS).map((a) => ({ event: { contains: `"action":"${a}"` } }));
  let after: bigint | undefined;
  let read = 0;
  for (;;) {
    const rows = await deps.db.auditEvent.findMany({
      where: {
        at: { gte: from, lt: to },
        ...(after !== undefined ? { seq: { gt: after } } : {}),
        OR: actions,
      },
      select: { seq: true, event: true },
      orderBy: { seq: 'asc' },
      take: BATCH,
    });
    for (const row of rows) {
      if (read === max) return { stages: viewOf(counts), complete: false };
      read++;
      const e = JSON.parse(row.event) as { action?: string; result?: string; session_id?: string | null };
      const stage = e.action === undefined ? undefined : FUNNEL_ACTIONS[e.action];
      if (!stage) continue; // the text matched inside another field
      const c = counts.get(stage)!;
      if (stage === 'tunnel') {
        if (e.result !== 'success') continue;
        if (e.session_id) {
          if (tunnels.has(e.session_id)) continue; // the other side's report, or a reconnect
          tunnels.add(e.session_id);
        }
      }
      if (e.result === 'success') c.success++;
      else c.failed++;
    }
    if (rows.length < BATCH) return { stages: viewOf(counts), complete: true };
    after = rows[rows.length - 1]!.seq;
  }
}

function viewOf(counts: Map<FunnelStage, { success: number; failed: number }>): FunnelStageViewT[] {
  return FUNNEL_STAGES.map((stage) => ({ stage, ...counts.get(stage)! }));
}

async function gatewaySummary(deps: Pick<AdminDeps, 'db'>) {
  const [rows, byHealth] = await Promise.all([
    deps.db.gateway.findMany({
      select: { name: true, status: true, lastHealthOk: true, lastHealthAt: true },
      orderBy: { name: 'asc' },
      take: OVERVIEW_MAX_GATEWAYS,
    }),
    deps.db.gateway.groupBy({ by: ['lastHealthOk'], _count: { _all: true } }),
  ]);
  const count = (ok: boolean | null) => byHealth.find((g) => g.lastHealthOk === ok)?._count._all ?? 0;
  const items: OverviewGatewayViewT[] = rows.map((g) => ({
    name: g.name,
    status: g.status,
    health: g.lastHealthOk === null ? 'unknown' : g.lastHealthOk ? 'ok' : 'failing',
    last_health_at: iso(g.lastHealthAt),
  }));
  const ok = count(true);
  const failing = count(false);
  const unknown = count(null);
  return { total: ok + failing + unknown, ok, failing, unknown, items };
}

export async function overview(deps: Deps): Promise<OverviewReplyT> {
  const to = deps.now();
  const from = new Date(to.getTime() - FUNNEL_WINDOW_S * 1000);
  const [live, funnel, gateways, open, openCritical] = await Promise.all([
    deps.db.session.count({ where: { endedAt: null } }),
    countFunnel(deps, from, to),
    gatewaySummary(deps),
    deps.db.alert.count({ where: { ackedAt: null } }),
    deps.db.alert.count({ where: { ackedAt: null, severity: 'critical' } }),
  ]);
  return {
    generated_at: to.toISOString(),
    sessions: { live },
    funnel: { from: from.toISOString(), to: to.toISOString(), ...funnel },
    gateways,
    alerts: { open, open_critical: openCritical },
  };
}
