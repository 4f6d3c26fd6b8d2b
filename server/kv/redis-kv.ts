// The shared store for several backend instances: Redis (>= 7, for GETDEL and PEXPIRE NX) through
// the official client. Same contract as MemoryKv; every key is prefixed and carries a TTL.

import { randomUUID } from 'node:crypto';
import { createClient } from '@redis/client';
import { type KvStore, WINDOW_MAX_HITS } from './kv-store.js';

function makeClient(url: string) {
  return createClient({
    url,
    socket: { connectTimeout: 5000, reconnectStrategy: (n: number) => Math.min(n * 100, 2000) },
  });
}
type Client = ReturnType<typeof makeClient>;

export class RedisKv implements KvStore {
  private constructor(
    private readonly client: Client,
    private readonly prefix: string,
  ) {}

  /** Connects and checks the server answers; a bad URL or password fails here, at start. */
  static async connect(url: string, prefix = 'viworks:'): Promise<RedisKv> {
    const client = makeClient(url);
    // Errors surface on the commands that fail; the listener keeps the process from crashing
    // while the client reconnects (and never logs the URL, which holds the password).
    client.on('error', () => undefined);
    await client.connect();
    await client.ping();
    return new RedisKv(client, prefix);
  }

  /** A second connection for pub/sub (a subscribed connection cannot run commands). */
  duplicateClient(): Client {
    return this.client.duplicate();
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string) {
    return this.client.get(this.k(key));
  }

  async set(key: string, value: string, ttlMs: number) {
    await this.client.set(this.k(key), value, {
      expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
    });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    const res = await this.client.set(this.k(key), value, {
      expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
      condition: 'NX',
    });
    return res === 'OK';
  }

  async take(key: string) {
    return this.client.getDel(this.k(key));
  }

  async del(key: string) {
    await this.client.del(this.k(key));
  }

  async incr(key: string, ttlMs: number) {
    const k = this.k(key);
    // One MULTI: the counter and its window start together; NX keeps the window from sliding.
    const [count] = await this.client
      .multi()
      .incr(k)
      .pExpire(k, Math.max(1, Math.ceil(ttlMs)), 'NX')
      .exec();
    return Number(count);
  }

  async hitWindow(key: string, windowMs: number) {
    // A unique member per hit, so two hits in the same millisecond both count.
    return this.slidingSet(key, `${Date.now()}:${randomUUID()}`, windowMs);
  }

  async windowDistinct(key: string, member: string, windowMs: number) {
    // A member seen again gets its score moved: it counts once and stays while it keeps being seen.
    return this.slidingSet(key, member, windowMs);
  }

  /**
   * One MULTI over a sorted set scored by time: drop what left the window, add (or refresh) the
   * member, keep the newest WINDOW_MAX_HITS, count.
   */
  private async slidingSet(key: string, member: string, windowMs: number): Promise<number> {
    const k = this.k(key);
    const now = Date.now();
    const replies = await this.client
      .multi()
      .zRemRangeByScore(k, '-inf', now - windowMs)
      .zAdd(k, { score: now, value: member })
      .zRemRangeByRank(k, 0, -(WINDOW_MAX_HITS + 1))
      .zCard(k)
      .pExpire(k, Math.max(1, Math.ceil(windowMs)))
      .exec();
    return Number(replies[3]);
  }

  async close() {
    await this.client.quit().catch(() => this.client.destroy());
  }
}
