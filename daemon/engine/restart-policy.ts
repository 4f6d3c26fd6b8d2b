// The restart policy's pure parts (docs/architecture.md#tunnel-restarts: after an OpenVPN crash or exit,
// retry up to N times with backoff, then give up): the budget and backoff schedule (~1 s, 2 s, 4 s,
// plus jitter so a fleet does not knock in step) and which failures a fresh attempt may heal.
// restart.ts applies them.
export interface RestartPolicy {
  /** Fresh attempts after a failure before giving up. */
  readonly retries: number;
  /** Delay before the first retry; doubled for each further one. */
  readonly baseDelayMs: number;
  /** Up to this fraction of the delay is added at random. */
  readonly jitter: number;
  /** A tunnel up this long counts as healthy: the retry budget starts again. */
  readonly stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  retries: 3,
  baseDelayMs: 1000,
  jitter: 0.25,
  stableMs: 60_000,
};

/** Delay before retry `n` (1-based): base·2^(n-1), plus up to `jitter` of that at random. */
export function restartDelayMs(policy: RestartPolicy, n: number, random: () => number = Math.random): number {
  const base = policy.baseDelayMs * 2 ** (n - 1);
  return Math.round(base + base * policy.jitter * random());
}

/** Codes that a fresh attempt may fix, when nothing more specific says otherwise. */
const TRANSIENT = new Set(['VIW_E_OPENVPN_FAILED', 'VIW_E_TLS_FAILED', 'VIW_E_SPA_FAILED']);

/** Whether a failure (an end StopInfo or a start() rejection) is worth a fresh attempt. */
export function isRetryable(failure: { code: string | null; retryable?: boolean }): boolean {
  if (failure.retryable !== undefined) return failure.retryable;
  return failure.code === null || TRANSIENT.has(failure.code);
}
