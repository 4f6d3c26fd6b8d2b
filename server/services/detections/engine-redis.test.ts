// Two backend instances on ONE real Redis: each engine sees only the events its instance recorded
// (AuditService.onRecorded), and together they must agree — one alert, not zero, not two.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditFacts } from '../../../core/audit/event.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { REDIS_SERVER, startTestRedis, type TestRedis } from '../../../scripts/testkit/redis.js';
import { RedisKv } from '../../kv/redis-kv.js';
import { Clock, FakeAudit, type Harness, harness, RecordingSink, userPseudonym } from './testing/harness.js';

const peer = needPeers({ binaries: [REDIS_SERVER], apt: 'redis-server' });

describe('detection engine: two instances on one Redis', { skip: peer.skip }, () => {
  let redis: TestRedis;
  const kvs: RedisKv[] = [];
  const engines: Harness[] = [];

  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    for (const e of engines) await e.stop();
    for (const kv of kvs) await kv.close();
    await redis?.stop();
  });

  /** Two instances: their own audit stream and sink (as D2's sink is per instance), one Redis. */
  async function twoInstances(prefix: string, settings?: unknown): Promise<[Harness, Harness]> {
    const pair: Harness[] = [];
    for (const seqStart of [0, 1_000_000]) {
      const kv = await RedisKv.connect(redis.url, prefix);
      kvs.push(kv);
      const clock = new Clock(Date.now());
      const h = harness({
        kv,
        clock,
        audit: new FakeAudit(clock, seqStart),
        sink: new RecordingSink(),
        settings,
      });
      engines.push(h);
      pair.push(h);
    }
    return pair as [Harness, Harness];
  }

  const fail = (asn: number, user = userPseudonym(7)): AuditFacts => ({
    component: 'backend',
    action: 'auth.otp_verify',
    result: 'failure',
    user_id: user,
    src_ip: '198.51.100.30',
    asn,
  });

  it('otp_stuffing: 10 failures from 3 ASNs split between the instances fire exactly once', async () => {
    const [a, b] = await twoInstances('det1:');
    // Interleaved, concurrently: neither instance alone sees 5 failures from 3 ASNs at first.
    const asns = [64500, 64501, 64502];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ((i % 2 === 0 ? a : b) as Harness).emit(fail(asns[i % 3] as number)),
      ),
    );
    await Promise.all([a.engine.idle(), b.engine.idle()]);
    const alerts = [...a.sink.alerts, ...b.sink.alerts];
    assert.deepEqual(
      alerts.map((x) => [x.rule, x.key]),
      [['otp_stuffing', userPseudonym(7)]],
    );
    assert.equal(
      a.engine.stats().suppressed + b.engine.stats().suppressed,
      5,
      'the later five are suppressed',
    );
  });

  it('near miss across instances: 4 failures from 3 ASNs, 2 on each, do not fire', async () => {
    const [a, b] = await twoInstances('det2:');
    await a.emit(fail(64500), fail(64501));
    await b.emit(fail(64502), fail(64500));
    assert.equal(a.sink.alerts.length + b.sink.alerts.length, 0);
  });

  it('spa_without_tls: a TLS handshake recorded by the other instance settles the SPA', async () => {
    const [a, b] = await twoInstances('det3:', { spaWithoutTls: { withinS: 1, ingestLagS: 0 } });
    const gw = (action: string, src: string): AuditFacts => ({
      component: 'gateway',
      action,
      result: 'success',
      src_ip: src,
      gateway: 'gw-a',
    });
    await a.emit(gw('spa.accepted', '198.51.100.1'), gw('spa.accepted', '198.51.100.2'));
    await b.emit(gw('tls.handshake', '198.51.100.1'));
    a.clock.advance(1_000);
    await a.engine.checkDue();
    assert.deepEqual(
      a.sink.alerts.map((x) => x.key),
      ['gw-a|198.51.100.2'],
    );
    assert.equal(b.sink.alerts.length, 0);
  });
});
