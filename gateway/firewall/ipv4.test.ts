import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { checkSessionNetworks, inPool, lowestFree, parseNet, vpnPool } from './ipv4.js';

const invalid = (e: unknown) => isViworksError(e, 'VIW_E_VALIDATION');

describe('session networks', () => {
  test('canonical CIDRs come back sorted; the same set in any order gives the same list', () => {
    const a = checkSessionNetworks(['192.168.50.0/24', '10.20.0.0/16', '10.1.2.3/32']);
    assert.deepEqual(a, ['10.1.2.3/32', '10.20.0.0/16', '192.168.50.0/24']);
    assert.deepEqual(checkSessionNetworks([...a].reverse()), a);
    assert.deepEqual(checkSessionNetworks([]), []);
  });

  test('refused whole: host bits, leading zeros, bad octets or prefixes, /0, overlaps, too many', () => {
    for (const bad of [
      ['10.20.0.1/16'],
      ['010.20.0.0/16'],
      ['10.20.0.0/016'],
      ['256.0.0.0/8'],
      ['10.0.0.0/33'],
      ['10.0.0.0'],
      ['10.0.0.0/8/8'],
      ['0.0.0.0/0'],
      ['10.0.0.0/8', '10.20.0.0/16'],
      ['10.20.0.0/16', '10.0.0.0/8'],
      ['10.20.0.0/16', '10.20.0.0/16'],
      ['10.0.0.0/24', '10.0.1.0/24', '10.0.0.0/16'],
      Array.from({ length: 65 }, (_, i) => `10.${i}.0.0/16`),
    ]) {
      assert.throws(() => checkSessionNetworks(bad), invalid, JSON.stringify(bad));
    }
    // Adjacent is not overlapping.
    assert.deepEqual(checkSessionNetworks(['10.0.1.0/24', '10.0.0.0/24']), ['10.0.0.0/24', '10.0.1.0/24']);
    assert.equal(checkSessionNetworks(Array.from({ length: 64 }, (_, i) => `10.${i}.0.0/16`)).length, 64);
  });

  test('parseNet', () => {
    assert.deepEqual(parseNet('10.8.0.0/24'), { base: 0x0a080000, prefix: 24 });
    assert.equal(parseNet('10.8.0.1/24'), null);
    assert.equal(parseNet('1.2.3.4/-1'), null);
  });
});

describe('VPN pool', () => {
  test('clients are network+2 … broadcast−1; the lowest free one is given out', () => {
    const pool = vpnPool('10.8.0.0/29');
    assert.equal(pool.netmask, '255.255.255.248');
    assert.equal(inPool(pool, '10.8.0.1'), false, 'the server');
    assert.equal(inPool(pool, '10.8.0.2'), true);
    assert.equal(inPool(pool, '10.8.0.6'), true);
    assert.equal(inPool(pool, '10.8.0.7'), false, 'broadcast');
    assert.equal(inPool(pool, '10.9.0.2'), false);
    assert.equal(lowestFree(pool, new Set()), '10.8.0.2');
    assert.equal(lowestFree(pool, new Set(['10.8.0.2', '10.8.0.4'])), '10.8.0.3');
    assert.equal(lowestFree(pool, new Set(['10.8.0.2']), 0x0a080005), '10.8.0.5');
    const all = new Set(['10.8.0.2', '10.8.0.3', '10.8.0.4', '10.8.0.5', '10.8.0.6']);
    assert.equal(lowestFree(pool, all), null);
    assert.throws(
      () => vpnPool('10.8.0.0/30'),
      (e: unknown) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});
