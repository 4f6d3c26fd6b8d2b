import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const spa = (src: string, gateway = 'gw-a'): AuditFacts => ({
  component: 'gateway',
  action: 'spa.accepted',
  result: 'success',
  src_ip: src,
  fwknop_id: 'd-0123456789abcdef',
  gateway,
});
const tls = (src: string, result: 'success' | 'failure' = 'success', gateway = 'gw-a'): AuditFacts => ({
  component: 'gateway',
  action: 'tls.handshake',
  result,
  src_ip: src,
  src_port: 40000,
  proto: 'TLSv1.3',
  gateway,
});

// Exact deadlines: no ingest lag.
const exact = { spaWithoutTls: { ingestLagS: 0 } };

describe('rule spa_without_tls', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  async function after(ms: number) {
    h.clock.advance(ms);
    await h.engine.checkDue();
  }

  it('alerts when no TLS handshake from the source follows within 60 s, with the gateway and source', async () => {
    h = harness({ settings: exact });
    const [r] = await h.emit(spa('198.51.100.7'));
    await after(59_999);
    assert.equal(h.sink.alerts.length, 0, 'not before the deadline');
    await after(1);
    const [a] = h.sink.of('spa_without_tls');
    assert.ok(a);
    assert.equal(a.severity, 'warning');
    assert.equal(a.key, 'gw-a|198.51.100.7');
    assert.deepEqual(a.evidence, [r?.seq]);
    assert.equal(a.context?.src_ip, '198.51.100.7');
    assert.equal(a.fields.gateway, 'gw-a');
    assert.equal(a.fields.within_s, 60);
    assert.match(a.summary, /198\.51\.100\.7 accepted at gateway gw-a \(key d-0123456789abcdef\)/);
    assert.equal(h.engine.stats().waiting, 0);
  });

  it('near miss: a TLS handshake at 59 s settles it', async () => {
    h = harness({ settings: exact });
    await h.emit(spa('198.51.100.7'));
    h.clock.advance(59_000);
    await h.emit(tls('198.51.100.7'));
    await after(10_000);
    assert.equal(h.sink.alerts.length, 0);
  });

  it('a TLS handshake at 61 s is too late; a failed one, another source or another gateway never counts', async () => {
    h = harness({ settings: exact });
    await h.emit(spa('198.51.100.7'), spa('198.51.100.8'), spa('198.51.100.9'), spa('198.51.100.10'));
    await h.emit(
      tls('198.51.100.8', 'failure'),
      tls('198.51.100.99'),
      tls('198.51.100.9', 'success', 'gw-b'),
    );
    h.clock.advance(61_000);
    await h.emit(tls('198.51.100.7'));
    await h.engine.checkDue();
    assert.deepEqual(h.sink.alerts.map((a) => a.key).sort(), [
      'gw-a|198.51.100.10',
      'gw-a|198.51.100.7',
      'gw-a|198.51.100.8',
      'gw-a|198.51.100.9',
    ]);
  });

  it('a handshake recorded just before its SPA (same poll) settles it within the ingest lag', async () => {
    h = harness({ settings: { spaWithoutTls: { ingestLagS: 30 } } });
    await h.emit(tls('198.51.100.7'));
    h.clock.advance(5);
    await h.emit(spa('198.51.100.7'));
    assert.equal(h.engine.stats().waiting, 0, 'settled at once: nothing waits');
    // An old handshake, from before the lag, does not settle a new SPA.
    h.clock.advance(120_000);
    await h.emit(spa('198.51.100.7'));
    await after(90_000);
    assert.equal(h.sink.of('spa_without_tls').length, 1);
  });

  it('with ingest lag, waits window + lag and accepts a handshake stamped up to lag late', async () => {
    h = harness({ settings: { spaWithoutTls: { ingestLagS: 30 } } });
    await h.emit(spa('198.51.100.7'), spa('198.51.100.8'));
    h.clock.advance(85_000);
    await h.emit(tls('198.51.100.7'));
    await after(4_999);
    assert.equal(h.sink.alerts.length, 0, 'deadline is 90 s');
    await after(1);
    assert.deepEqual(
      h.sink.alerts.map((a) => a.key),
      ['gw-a|198.51.100.8'],
    );
  });

  it('a burst of SPAs from one source without TLS alerts once per window', async () => {
    h = harness({ settings: exact });
    for (let i = 0; i < 10; i += 1) {
      await h.emit(spa('203.0.113.5'));
      h.clock.advance(1_000);
    }
    await after(60_000);
    assert.equal(h.sink.of('spa_without_tls').length, 1);
    assert.equal(h.engine.stats().suppressed, 9);
  });

  it('with ingest lag, the same source is silenced for window + lag after an alert, then alerts again', async () => {
    h = harness({ settings: { spaWithoutTls: { ingestLagS: 30 } } });
    await h.emit(spa('203.0.113.5'));
    h.clock.advance(80_000);
    await h.emit(spa('203.0.113.5'));
    await after(100_000);
    assert.equal(h.sink.of('spa_without_tls').length, 1, 'the second knock, 80 s later, is the same probe');
    assert.equal(h.engine.stats().suppressed, 1);
    await h.emit(spa('203.0.113.5'));
    await after(90_000);
    assert.equal(h.sink.of('spa_without_tls').length, 2, 'past window + lag it is news again');
  });

  it('events of older gateways without a name still pair up (key part -)', async () => {
    h = harness({ settings: exact });
    const { gateway: _g, ...noGw } = spa('198.51.100.7');
    await h.emit(noGw);
    await after(60_000);
    assert.equal(h.sink.alerts[0]?.key, '-|198.51.100.7');
  });

  it('keeps at most maxPending waits, dropping the oldest (counted)', async () => {
    h = harness({ settings: { spaWithoutTls: { ingestLagS: 0, maxPending: 100 } } });
    for (let i = 0; i < 105; i += 1) await h.emit(spa(`10.0.${Math.floor(i / 200)}.${i % 200}`));
    assert.equal(h.engine.stats().waiting, 100);
    assert.equal(h.engine.stats().droppedWaits, 5);
  });
});
