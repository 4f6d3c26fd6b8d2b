import { type KvStore, WINDOW_MAX_HITS } from './kv-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** The embedded default: one process, a Map with lazy expiry plus a periodic sweep. */
export class MemoryKv implements KvStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number) {
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async take(key: string) {
    const e = this.live(key);
    this.entries.delete(key);
    return e?.value ?? null;
  }

  async del(key: string) {
    this.entries.delete(key);
  }

  async incr(key: string, ttlMs: number) {
    const e = this.live(key);
    const next = (e ? Number(e.value) : 0) + 1;
    this.entries.set(key, { value: String(next), expiresAt: e?.expiresAt ?? this.now() + ttlMs });
    return next;
  }

  async hitWindow(key: string, windowMs: number) {
    const t = this.now();
    const e = this.live(key);
    const hits = (e ? (JSON.parse(e.value) as number[]) : []).filter((at) => at > t - windowMs);
    hits.push(t);
    const kept = hits.slice(-WINDOW_MAX_HITS);
    this.entries.set(key, { value: JSON.stringify(kept), expiresAt: t + windowMs });
    return kept.length;
  }

  async windowDistinct(key: string, member: string, windowMs: number) {
    const t = this.now();
    const e = this.live(key);
    const seen = new Map<string, number>(e ? (JSON.parse(e.value) as [string, number][]) : []);
    for (const [m, at] of seen) if (at <= t - windowMs) seen.delete(m);
    // Re-inserting moves the member to the end: the Map stays ordered oldest-seen first.
    seen.delete(member);
    seen.set(member, t);
    const kept = [...seen].slice(-WINDOW_MAX_HITS);
    this.entries.set(key, { value: JSON.stringify(kept), expiresAt: t + windowMs });
    return kept.length;
  }

  async close() {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}
