// Redaction of diagnostic reports: IPv4 and IPv6 addresses become "first part + x + keyed tag",
// the same address the same tag within one report, different keys different tags; catch-all
// route prefixes, versions and times are left alone; --include-addresses is the identity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsAddress, createRedactor, redactDeep } from './redact.js';

const KEY = new Uint8Array(32).fill(7);

describe('report redaction', () => {
  it('redacts IPv4 and IPv6 (URLs, zones, brackets, mapped), keeping the first part and a tag', () => {
    const r = createRedactor({ includeAddresses: false, key: KEY });
    const text =
      'backend https://127.0.0.1:8443/x, ns 10.1.2.3, again 10.1.2.3 and 192.168.1.1. ' +
      'fe80::1%eth0 [::1]:443 2001:db8::7: ::ffff:10.0.0.1';
    const out = r(text);
    assert.equal(containsAddress(text), true);
    assert.equal(containsAddress(out), false, out);
    assert.match(out, /https:\/\/127\.x\.x\.x~[0-9a-f]{4}:8443\/x/);
    assert.match(out, /ns 10\.x\.x\.x~([0-9a-f]{4}), again 10\.x\.x\.x~\1 /, 'same address, same tag');
    assert.match(out, /192\.x\.x\.x~[0-9a-f]{4}\./);
    assert.match(out, /fe80:x::x~[0-9a-f]{4}%eth0/);
    assert.match(out, /\[0:x::x~[0-9a-f]{4}\]:443/);
  });

  it('tags depend on a per-report key (not a plain hash anyone can reverse)', () => {
    const a = createRedactor({ includeAddresses: false, key: KEY })('10.1.2.3');
    const b = createRedactor({ includeAddresses: false, key: new Uint8Array(32).fill(8) })('10.1.2.3');
    assert.notEqual(a, b);
    assert.notEqual(createRedactor({ includeAddresses: false })('10.1.2.3'), a);
  });

  it('leaves catch-all prefixes, versions and times alone', () => {
    const r = createRedactor({ includeAddresses: false, key: KEY });
    for (const t of [
      'route 0.0.0.0/1 and 128.0.0.0/1 via tun0, ::/0 too',
      'OpenVPN 2.6.3',
      '2025-01-01T12:30:45.123Z',
    ]) {
      assert.equal(r(t), t);
    }
  });

  it('--include-addresses: nothing changes; redactDeep reaches every string, not keys', () => {
    assert.equal(createRedactor({ includeAddresses: true })('10.1.2.3'), '10.1.2.3');
    const out = redactDeep(
      { '10.0.0.1': 1, a: ['ns 10.0.0.2'], b: { c: '10.0.0.3', n: 5, z: null } },
      createRedactor({ includeAddresses: false, key: KEY }),
    );
    assert.deepEqual(Object.keys(out), ['10.0.0.1', 'a', 'b']);
    assert.equal(containsAddress(JSON.stringify(out.a) + JSON.stringify(out.b)), false);
    assert.equal(out.b.n, 5);
  });
});
