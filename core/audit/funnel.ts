// The auth funnel (pki-siem §4.6): the steps of the way in, as audit actions. One table for the
// backend's funnel metrics (server/metrics/audit-metrics.ts) and the admin overview's counts of
// the last hour (server/services/admin/overview.ts), so the two never disagree on what a step is.

export const FUNNEL_STAGES = ['login', 'otp', 'bootstrap', 'tunnel'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export const FUNNEL_ACTIONS: Readonly<Record<string, FunnelStage>> = {
  'auth.login': 'login',
  'auth.otp_verify': 'otp',
  'bootstrap.issue': 'bootstrap',
  // Tunnel up, seen by the gateway (data plane) or reported by the client; once per session.
  'ovpn.connect': 'tunnel',
  'client.tunnel_latency': 'tunnel',
};
