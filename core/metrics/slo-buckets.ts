// Histogram buckets around the service objectives (docs/architecture.md §9.3), shared by the
// backend's client-reported latencies (server/metrics) and the daemon's own (daemon/localapi/metrics.ts),
// so a dashboard compares like with like: SPA → TLS p50 < 400 ms and p95 < 800 ms, OpenVPN bring-up
// < 2 s, revocation propagation < 10 s. Seconds, as Prometheus wants.

export const SPA_TO_TLS_BUCKETS: readonly number[] = [
  0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 5, 10,
];
export const TLS_TO_TUNNEL_BUCKETS: readonly number[] = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];
/** A whole connect: bootstrap, preflight, knock, TLS, OpenVPN, DNS and the first leak checks. */
export const CONNECT_BUCKETS: readonly number[] = [0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 30, 60];
export const REVOCATION_BUCKETS: readonly number[] = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
