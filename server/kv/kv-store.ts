// Short-lived shared state: OTP challenges, login transactions, tokens, bootstrap grants, nonces
// and rate-limit counters. One instance uses the in-process store; several instances behind a load
// balancer share Redis (REDIS_URL). Values are strings; every key has a TTL, so nothing lingers.

export interface KvStore {
  get(key: string): Promise<string | null>;
  /** Sets the value with a TTL, replacing any current value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when absent; true when this call set it. Used for nonces and one-time markers. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes: one-time grants can be taken exactly once across instances. */
  take(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** Increments a counter, creating it with the TTL when absent; returns the new value. */
  incr(key: string, ttlMs: number): Promise<number>;
  /**
   * Records one hit now and returns how many hits the key has within the last `windowMs` (a
   * sliding window: old hits fall out one by one, unlike `incr`'s fixed window). At most
   * WINDOW_MAX_HITS are kept; the count saturates there.
   */
  hitWindow(key: string, windowMs: number): Promise<number>;
  /**
   * Records `member` as seen now and returns how many distinct members the key has seen within the
   * last `windowMs` (a sliding window: a member seen again is counted once, with its latest time).
   * The detection rules count distinct ASNs per user with it. At most WINDOW_MAX_HITS members are
   * kept (the most recently seen); the count saturates there.
   */
  windowDistinct(key: string, member: string, windowMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The most hits (or distinct members) a sliding window keeps: a ceiling is always far below it, and
 * memory stays bounded.
 */
export const WINDOW_MAX_HITS = 1000;
