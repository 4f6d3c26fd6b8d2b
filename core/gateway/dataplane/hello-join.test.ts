// The front door's hellos waiting for their stunnel handshake: only schema-valid lines are taken,
// an address matches whatever way stunnel wrote it, a hello is claimed once, and the map is bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayHellos } from './hello-join.js';

const JA3 = 'c1e58b5fa361cf5bfc0635a61bd8573c';
const JA4 = 't13d040900_16476d049b0b_78f1d400d464';
const line = (src_ip: string, src_port: number, more: object = {}) =>
  JSON.stringify({
    ts: '2026-12-04T03:00:00.000Z',
    src_ip,
    src_port,
    dst_port: 443,
    ja3: JA3,
    ja4: JA4,
    ...more,
  });

describe('GatewayHellos', () => {
  it('takes a hello once, by the source stunnel names, IPv6 in any spelling', () => {
    const h = new GatewayHellos();
    assert.equal(h.add(line('198.51.100.7', 40001)), true);
    assert.equal(h.add(line('2001:db8::7', 40002)), true);
    assert.deepEqual(h.take('198.51.100.7', 40001), { tls_ja3: JA3, tls_ja4: JA4 });
    assert.equal(h.take('198.51.100.7', 40001), null, 'the same port later is another connection');
    assert.deepEqual(h.take('2001:0db8:0:0:0:0:0:7', 40002), { tls_ja3: JA3, tls_ja4: JA4 });
    assert.equal(h.take(null, 40003), null);
    assert.equal(h.take('198.51.100.7', null), null);
    assert.equal(h.take('not an address', 1), null);
  });

  it('refuses anything the capture did not write: no JSON, extra fields, bad values, overlong', () => {
    const h = new GatewayHellos();
    for (const bad of [
      'not json',
      '[]',
      line('198.51.100.7', 40001, { user: 'x' }),
      line('198.51.100.7', 0),
      line('198.51.100.7', 40001, { ja4: 't13d040900_16476d049b0b_78f1d400d46' }),
      line('198.51.100.7', 40001, { ja3: JA3.toUpperCase() }),
      line('999.1.1.1', 40001),
      line('1.2.3.4', 40001, { ts: 'yesterday' }),
      // A hello line may carry a DTLS version code; the audit event cannot: no fingerprints at all.
      line('198.51.100.7', 40001, { ja4: `td1${JA4.slice(3)}` }),
      `${line('198.51.100.7', 40001).slice(0, -1)},"pad":"${'x'.repeat(2000)}"}`,
    ]) {
      assert.equal(h.add(bad), false, bad.slice(0, 80));
    }
    assert.equal(h.take('198.51.100.7', 40001), null);
  });

  it('forgets the oldest unclaimed hello first', () => {
    const h = new GatewayHellos(2);
    for (const port of [1, 2, 3]) h.add(line('198.51.100.7', port));
    assert.equal(h.take('198.51.100.7', 1), null);
    assert.notEqual(h.take('198.51.100.7', 3), null);
  });
});
