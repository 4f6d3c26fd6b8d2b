// One contract, two stores: the same assertions run against the in-process store and a real Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { needPeers } from '../../scripts/testkit/peers.js';
import { REDIS_SERVER, startTestRedis, type TestRedis } from '../../scripts/testkit/redis.js';
import { type KvStore, WINDOW_MAX_HITS } from './kv-store.js';
import { MemoryKv } from './memory-kv.js';
import { RedisKv } from './redis-kv.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contract(
  name: string,
  open: () => Promise<KvStore>,
  close: () => Promise<void> = async () => {},
  skip?: string,
) {
  describe(`KvStore contract: ${name}`, { skip }, () => {
    let kv: KvStore;
    before(async () => {
      kv = await open();
    });
    after(async () => {
      await kv?.close();
      await close();
    });

    it('gets, sets with TTL and expires', async () => {
      await kv.set('a', 'one', 150);
      assert.equal(await kv.get('a'), 'one');
      await sleep(250);
      assert.equal(await kv.get('a'), null);
    });

    it('takes a value exactly once, even when raced', async () => {
      await kv.set('grant', 'g', 5000);
      const results = await Promise.all(Array.from({ length: 10 }, () => kv.take('grant')));
      assert.deepEqual(
        results.filter((r) => r !== null),
        ['g'],
      );
    });

    it('sets-if-absent once under contention, then again after expiry', async () => {
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => kv.setIfAbsent('nonce', String(i), 200)),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      await sleep(300);
      assert.equal(await kv.setIfAbsent('nonce', 'x', 200), true);
    });

    it('counts atomically within a fixed window', async () => {
      const counts = await Promise.all(Array.from({ length: 25 }, () => kv.incr('ctr', 300)));
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      await sleep(400);
      assert.equal(await kv.incr('ctr', 300), 1);
    });

    it('counts hits in a sliding window: old hits fall out one by one, concurrent hits all count', async () => {
      const first = await Promise.all(Array.from({ length: 5 }, () => kv.hitWindow('win', 600)));
      assert.deepEqual(
        [...first].sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
      );
      await sleep(350);
      assert.equal(await kv.hitWindow('win', 600), 6, 'the first five are still inside the window');
      await sleep(350);
      // The first five left the window; the sixth is 350 ms old and still counts (a fixed window
      // that opened with the first hit would have started again at 1).
      assert.equal(await kv.hitWindow('win', 600), 2);
      await sleep(700);
      assert.equal(await kv.hitWindow('win', 600), 1);
    });

    it('counts distinct members in a sliding window: repeats count once, old members fall out', async () => {
      assert.equal(await kv.windowDistinct('asns', 'AS1', 600), 1);
      assert.equal(await kv.windowDistinct('asns', 'AS1', 600), 1, 'a member seen again counts once');
      const concurrent = await Promise.all(
        ['AS2', 'AS3', 'AS2'].map((m) => kv.windowDistinct('asns', m, 600)),
      );
      assert.equal(Math.max(...concurrent), 3);
      await sleep(350);
      assert.equal(await kv.windowDistinct('asns', 'AS3', 600), 3, 'all three are still inside the window');
      await sleep(350);
      // AS1 and AS2 were last seen 700 ms ago and left; AS3 was seen again 350 ms ago and stays.
      assert.equal(await kv.windowDistinct('asns', 'AS4', 600), 2);
      assert.equal(await kv.windowDistinct('other', 'AS1', 600), 1, 'keys are independent');
      await sleep(700);
      assert.equal(await kv.windowDistinct('asns', 'AS4', 600), 1);
    });

    it('keeps at most WINDOW_MAX_HITS distinct members, the most recently seen', async () => {
      for (let i = 0; i < WINDOW_MAX_HITS + 5; i += 1) await kv.windowDistinct('many', `m${i}`, 60_000);
      assert.equal(await kv.windowDistinct('many', `m${WINDOW_MAX_HITS + 4}`, 60_000), WINDOW_MAX_HITS);
      // m0 was dropped as the oldest: seeing it again adds it back and drops the next oldest.
      assert.equal(await kv.windowDistinct('many', 'm0', 60_000), WINDOW_MAX_HITS);
    });

    it('deletes', async () => {
      await kv.set('d', 'x', 5000);
      await kv.del('d');
      assert.equal(await kv.get('d'), null);
    });
  });
}

contract('memory', async () => new MemoryKv());

const redisPeer = needPeers({ binaries: [REDIS_SERVER], apt: 'redis-server' });
let redis: TestRedis | undefined;
contract(
  'redis',
  async () => {
    redis = await startTestRedis();
    return RedisKv.connect(redis.url, `t${process.pid}:`);
  },
  async () => {
    await redis?.stop();
  },
  redisPeer.skip,
);
