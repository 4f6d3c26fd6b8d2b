// Wire contract of GET /admin/overview (docs/admin-api.md): the admin panel's first page in one
// answer — live VPN sessions, the auth funnel of the last hour, gateway health, open alerts. Every
// number is read from the database, so all backend instances answer the same.
import { type Static, Type } from 'typebox';
import { FUNNEL_STAGES } from '../audit/funnel.js';
import { closed, IsoTime } from './common.js';

const Count = Type.Integer({ minimum: 0 });

/** The funnel's window: the last hour (its stages and their audit actions: core/audit/funnel.ts). */
export const FUNNEL_WINDOW_S = 3600;
/** Funnel events one overview reads at most; past it `complete` is false. */
export const FUNNEL_MAX_EVENTS = 50_000;
/** Gateways listed at most (the counts cover all). */
export const OVERVIEW_MAX_GATEWAYS = 200;

export const FunnelStageView = Type.Object(
  {
    stage: Type.Enum(FUNNEL_STAGES),
    /** Successes; for `tunnel`, sessions whose tunnel came up (each counted once). */
    success: Count,
    /** Failures and denials (never counted for `tunnel`: a tunnel that did not come up is silent). */
    failed: Count,
  },
  closed,
);

export const GATEWAY_HEALTH = ['ok', 'failing', 'unknown'] as const;
export const OverviewGatewayView = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    status: Type.Enum(['pending', 'active', 'draining', 'disabled']),
    /** The last health poll's verdict; `unknown` before the first. */
    health: Type.Enum(GATEWAY_HEALTH),
    last_health_at: Type.Union([IsoTime, Type.Null()]),
  },
  closed,
);

export const OverviewReply = Type.Object(
  {
    generated_at: IsoTime,
    sessions: Type.Object({ live: Count }, closed),
    funnel: Type.Object(
      {
        /** The window: `from` inclusive, `to` exclusive (FUNNEL_WINDOW_S long). */
        from: IsoTime,
        to: IsoTime,
        stages: Type.Array(FunnelStageView, { minItems: 4, maxItems: 4 }),
        /** False when the window held more than FUNNEL_MAX_EVENTS funnel events (counts are a floor). */
        complete: Type.Boolean(),
      },
      closed,
    ),
    gateways: Type.Object(
      {
        total: Count,
        ok: Count,
        failing: Count,
        unknown: Count,
        items: Type.Array(OverviewGatewayView, { maxItems: OVERVIEW_MAX_GATEWAYS }),
      },
      closed,
    ),
    alerts: Type.Object({ open: Count, open_critical: Count }, closed),
  },
  closed,
);

export type FunnelStageViewT = Static<typeof FunnelStageView>;
export type OverviewGatewayViewT = Static<typeof OverviewGatewayView>;
export type OverviewReplyT = Static<typeof OverviewReply>;
