// Revocation latency from the audit stream: a session ends on the backend (`session.end`, its
// reason in error_msg), and its gateway later confirms the cut (`gateway.terminate_session`
// success, same session_id). Both events are recorded by the instance that ended the session (the
// teardown runs in its background), so one process sees both. Waiting sessions are bounded in
// number and in time: a gateway with no control channel never confirms, and is then forgotten.

/** The SessionEndReason values (prisma/schema.prisma); anything else is `other`. */
const REASONS = new Set([
  'logout',
  'idle_timeout',
  'expired',
  'revoked',
  'heartbeat_lost',
  'gateway_error',
  'policy',
]);

const DEFAULT_WAIT_MS = 15 * 60_000;
const MAX_WAITING = 10_000;

interface Waiting {
  readonly atMs: number;
  readonly reason: string;
}

export class RevocationTimer {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly waitMs: number = DEFAULT_WAIT_MS) {}

  /** The session ended at `atMs` (epoch ms) for `reason`. */
  ended(sessionId: string, reason: string | null, atMs: number): void {
    this.sweep(atMs);
    this.waiting.delete(sessionId);
    this.waiting.set(sessionId, { atMs, reason: reason && REASONS.has(reason) ? reason : 'other' });
    while (this.waiting.size > MAX_WAITING) this.waiting.delete(this.waiting.keys().next().value as string);
  }

  /** The reason of a session still waiting for its gateway, if it is. */
  reasonOf(sessionId: string): string | null {
    return this.waiting.get(sessionId)?.reason ?? null;
  }

  /** The gateway confirmed at `atMs`: the time it took, once per ended session; null if unknown. */
  confirmed(sessionId: string, atMs: number): { seconds: number; reason: string } | null {
    this.sweep(atMs);
    const w = this.waiting.get(sessionId);
    if (!w) return null;
    this.waiting.delete(sessionId);
    return { seconds: Math.max(0, atMs - w.atMs) / 1000, reason: w.reason };
  }

  private sweep(nowMs: number): void {
    for (const [id, w] of this.waiting) {
      if (nowMs - w.atMs <= this.waitMs) break; // oldest first: the rest are younger
      this.waiting.delete(id);
    }
  }
}
