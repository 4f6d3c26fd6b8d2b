// When the panel signs itself out: after `idleMs` without a call to the backend (the backend's own
// sliding idle limit, AuthReply.idle_timeout_s), or at the session's absolute end (expires_at),
// whichever comes first. Only calls the administrator caused reset it: the backend slides its idle
// limit on every authenticated request, so a background poll that touched this timer would keep an
// unattended panel signed in forever. Pure: the clock is passed in (the UI ticks once a second).

/** Used when the backend does not say (it always does for full sessions: 15 min). */
export const DEFAULT_IDLE_MS = 15 * 60_000;
/** From here on the countdown warns and offers "Stay signed in". */
export const WARN_BEFORE_MS = 60_000;

export class IdleTimer {
  private idleDeadline: number;

  constructor(
    private readonly idleMs: number,
    /** The session's absolute end (ms since epoch), or Infinity when unknown. */
    private readonly absoluteEnd: number,
    now: number,
  ) {
    if (!(idleMs > 0)) throw new RangeError('idleMs must be positive');
    this.idleDeadline = now + idleMs;
  }

  /** A call reached the backend: its idle limit starts again from now. */
  touch(now: number): void {
    this.idleDeadline = now + this.idleMs;
  }

  remainingMs(now: number): number {
    return Math.max(0, Math.min(this.idleDeadline, this.absoluteEnd) - now);
  }

  expired(now: number): boolean {
    return this.remainingMs(now) === 0;
  }

  warning(now: number): boolean {
    return !this.expired(now) && this.remainingMs(now) <= WARN_BEFORE_MS;
  }
}

/** `m:ss` (or `h:mm:ss`), rounded up so the display reaches 0:00 exactly when the session ends. */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
