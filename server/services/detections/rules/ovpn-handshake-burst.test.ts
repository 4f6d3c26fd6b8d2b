import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditFacts } from '../../../../core/audit/event.js';
import { type Harness, harness } from '../testing/harness.js';

const handshake = (gateway: string, i: number): AuditFacts =>
  i % 3 === 0
    ? {
        component: 'gateway',
        action: 'ovpn.handshake_failed',
        result: 'failure',
        src_ip: '127.0.0.1',
        gateway,
        error_msg: 'TLS Error',
      }
    : {
        component: 'gateway',
        action: 'ovpn.connect',
        result: 'success',
        src_ip: '127.0.0.1',
        ovpn_virtual_ip: '10.8.0.6',
        gateway,
      };

describe('rule ovpn_handshake_burst', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('near miss: 30 handshakes in a minute at threshold 30 do not alert; the 31st does, once', async () => {
    h = harness();
    for (let i = 0; i < 30; i += 1) await h.emit(handshake('gw-a', i));
    assert.equal(h.sink.alerts.length, 0);
    for (let i = 30; i < 50; i += 1) await h.emit(handshake('gw-a', i));
    const [a, ...more] = h.sink.of('ovpn_handshake_burst');
    assert.equal(more.length, 0);
    assert.equal(a?.key, 'gw-a');
    assert.equal(a?.fields.count, 31);
    assert.equal(a?.fields.op, 'gt');
    assert.equal(a?.severity, 'error');
  });

  it('counts per gateway within a sliding minute; disconnects do not count', async () => {
    h = harness({ settings: { ovpnHandshakeBurst: { threshold: 3 } } });
    await h.emit(handshake('gw-a', 1), handshake('gw-a', 2), handshake('gw-b', 1), handshake('gw-b', 2));
    await h.emit({ component: 'gateway', action: 'ovpn.disconnect', result: 'success', gateway: 'gw-a' });
    h.clock.advance(40_000);
    await h.emit(handshake('gw-a', 3));
    h.clock.advance(20_000);
    await h.emit(handshake('gw-a', 4));
    assert.equal(h.sink.alerts.length, 0, 'the first two left the window as the 4th came');
    await h.emit(handshake('gw-a', 5), handshake('gw-a', 6));
    assert.deepEqual(
      h.sink.alerts.map((a) => a.key),
      ['gw-a'],
    );
  });
});
