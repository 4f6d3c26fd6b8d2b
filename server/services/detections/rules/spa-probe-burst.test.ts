import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const rejected = (gateway: string, i: number): AuditFacts => ({
  component: 'gateway',
  action: i % 2 === 0 ? 'spa.rejected' : 'spa.replayed',
  result: 'denied',
  src_ip: `203.0.113.${i % 250}`,
  error_msg: 'decrypt failed',
  gateway,
});

describe('rule spa_probe_burst', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('20 rejected or replayed SPAs at one gateway within a minute alert once, even if the burst goes on', async () => {
    h = harness();
    for (let i = 0; i < 19; i += 1) await h.emit(rejected('gw-a', i));
    assert.equal(h.sink.alerts.length, 0, '19 is below the threshold');
    await h.emit(rejected('gw-a', 19));
    for (let i = 20; i < 60; i += 1) await h.emit(rejected('gw-a', i));
    const alerts = h.sink.of('spa_probe_burst');
    assert.equal(alerts.length, 1);
    const [a] = alerts;
    assert.equal(a?.severity, 'error');
    assert.equal(a?.key, 'gw-a');
    assert.equal(a?.fields.count, 20);
    assert.equal(a?.fields.threshold, 20);
    assert.equal(a?.evidence.length, 8, 'the last few events');
  });

  it('near miss: 20 spread over more than a minute, or split across gateways, do not alert', async () => {
    h = harness();
    for (let i = 0; i < 20; i += 1) {
      await h.emit(rejected('gw-a', i));
      h.clock.advance(3_200); // 20 × 3.2 s = 64 s: never 20 within 60 s
    }
    for (let i = 0; i < 19; i += 1) await h.emit(rejected('gw-b', i), rejected('gw-c', i));
    assert.equal(h.sink.alerts.length, 0);
  });

  it('accepted SPAs and backend events with the same action do not count', async () => {
    h = harness({ settings: { spaProbeBurst: { threshold: 2 } } });
    await h.emit(
      {
        component: 'gateway',
        action: 'spa.accepted',
        result: 'success',
        src_ip: '203.0.113.1',
        gateway: 'gw-a',
      },
      { component: 'backend', action: 'spa.rejected', result: 'denied', gateway: 'gw-a' },
      rejected('gw-a', 1),
    );
    assert.equal(h.sink.alerts.length, 0);
    await h.emit(rejected('gw-a', 2));
    assert.equal(h.sink.alerts.length, 1);
  });
});
