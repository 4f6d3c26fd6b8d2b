// SessionTraffic and the status's `traffic`: bytes add up over a session's tunnels, only traffic
// after a tunnel is up counts as activity, and the Status carries the counters only while
// connected, with the monotonic last activity turned into the wall-clock time it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeTlsHandle } from '../testing/fakes.js';
import { StatusStore, trafficInfo } from './status.js';
import { SessionTraffic } from './traffic.js';

describe('SessionTraffic', () => {
  it('is null before a tunnel, then counts the proxy; a restart adds the new proxy to the old totals', () => {
    const clock = { t: 5000 };
    const traffic = new SessionTraffic(() => clock.t);
    assert.equal(traffic.counters(), null);
    assert.equal(traffic.lastActivityMs(), 5000, 'no tunnel yet: now');
    const first = fakeTlsHandle(4000);
    traffic.attach(first);
    assert.deepEqual(traffic.counters(), { bytesIn: 0, bytesOut: 0, lastActivityMs: 5000 });
    clock.t = 6000;
    Object.assign(first.counters, { bytesIn: 1000, bytesOut: 300, lastActivityMs: 5900 });
    assert.deepEqual(traffic.counters(), { bytesIn: 1000, bytesOut: 300, lastActivityMs: 5900 });
    traffic.attach(first);
    assert.deepEqual(
      traffic.counters(),
      { bytesIn: 1000, bytesOut: 300, lastActivityMs: 5900 },
      'same tunnel: no-op',
    );

    clock.t = 9000;
    const second = fakeTlsHandle(8500);
    Object.assign(second.counters, { bytesIn: 40, bytesOut: 60, lastActivityMs: 8800 }); // OpenVPN handshake
    traffic.attach(second);
    assert.deepEqual(traffic.counters(), { bytesIn: 1040, bytesOut: 360, lastActivityMs: 5900 });
    Object.assign(second.counters, { bytesIn: 140, bytesOut: 90, lastActivityMs: 9100 });
    assert.deepEqual(traffic.counters(), { bytesIn: 1140, bytesOut: 390, lastActivityMs: 9100 });
    assert.equal(traffic.lastActivityMs(), 9100);
  });
});

describe('status traffic', () => {
  it('is the live counters while connected and null in every other state', () => {
    const store = new StatusStore('test');
    const counters = { bytesIn: 7, bytesOut: 9, lastActivityMs: performance.now() };
    store.watchTraffic(() => counters);
    assert.equal(store.get().traffic, null, 'idle');
    store.update({ state: 'openvpn' });
    assert.equal(store.get().traffic, null, 'connecting');
    const pushed: Array<unknown> = [];
    store.subscribe((s) => pushed.push(s.traffic));
    store.update({ state: 'connected' });
    assert.equal(store.get().traffic?.bytes_in, 7);
    counters.bytesIn = 70_000;
    assert.deepEqual(
      { in: store.get().traffic?.bytes_in, out: store.get().traffic?.bytes_out },
      { in: 70_000, out: 9 },
      'read live, not when the state changed',
    );
    assert.equal((pushed[0] as { bytes_in: number }).bytes_in, 7, 'a pushed change carries the counters');
    store.watchTraffic(null);
    assert.equal(store.get().traffic, null, 'session ended');
  });

  it('turns the monotonic last activity into the wall-clock time it was', () => {
    const wall = Date.parse('2026-11-23T10:00:00.000Z');
    const info = trafficInfo({ bytesIn: 1, bytesOut: 2, lastActivityMs: 1000 }, 31_000, wall);
    assert.deepEqual(info, { bytes_in: 1, bytes_out: 2, last_activity_at: '2026-11-23T09:59:30.000Z' });
  });
});
