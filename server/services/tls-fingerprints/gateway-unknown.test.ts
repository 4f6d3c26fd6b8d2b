// Unknown clients at a gateway front door: an allowed fingerprint or a handshake without one is no
// event; an unknown one is, once per fingerprint and source per window, under both ceilings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceAuditFacts } from '../audit/service.js';
import { FingerprintAllowlist } from './allowlist.js';
import { GatewayUnknownClients } from './gateway-unknown.js';

const PROXY = {
  tls_ja3: 'cc531ac0f55a6bfa198edfd0ae4352b8',
  tls_ja4: 't13d031000_dd90744a70f1_78f1d400d464',
};
const OTHER = {
  tls_ja3: 'c1e58b5fa361cf5bfc0635a61bd8573c',
  tls_ja4: 't13d040900_16476d049b0b_78f1d400d464',
};
const allowlist = new FingerprintAllowlist([PROXY.tls_ja4]);
const handshake = (src: string, result: 'success' | 'failure' = 'failure'): ServiceAuditFacts => ({
  component: 'gateway',
  action: 'tls.handshake',
  result,
  gateway: 'gw-a',
  src_ip: src,
  src_port: 50000,
  error_msg: 'TLS handshake failed: peer did not return a certificate',
});

describe('GatewayUnknownClients', () => {
  it('the allowlisted proxy, and a handshake the capture did not see, are no event', () => {
    const u = new GatewayUnknownClients();
    assert.equal(u.unknownEvent(handshake('198.51.100.1', 'success'), PROXY, allowlist, 0), null);
    assert.equal(u.unknownEvent(handshake('198.51.100.1'), null, allowlist, 0), null);
    assert.equal(
      u.unknownEvent({ ...handshake('198.51.100.1'), action: 'spa.accepted' }, OTHER, allowlist, 0),
      null,
    );
  });

  it('an unknown client: one event with its fingerprints, once per window', () => {
    const u = new GatewayUnknownClients({ windowMs: 1000 });
    const e = u.unknownEvent(handshake('198.51.100.2'), OTHER, allowlist, 0);
    assert.deepEqual(
      e && [e.action, e.result, e.component, e.gateway, e.tls_ja3, e.tls_ja4, e.severity, e.error_msg],
      [
        'tls.fingerprint_unknown',
        'failure',
        'gateway',
        'gw-a',
        OTHER.tls_ja3,
        OTHER.tls_ja4,
        'notice',
        'not in the allowlist; handshake failed',
      ],
    );
    assert.equal(u.unknownEvent(handshake('198.51.100.2'), OTHER, allowlist, 999), null);
    assert.equal(
      u.unknownEvent(handshake('198.51.100.2', 'success'), OTHER, allowlist, 1000)?.error_msg,
      'not in the allowlist',
    );
  });

  it('a client inventing a fingerprint per connection meets the ceilings', () => {
    const u = new GatewayUnknownClients({ windowMs: 1000, maxPerSource: 2, maxPerWindow: 3 });
    const invented = (i: number) => ({
      tls_ja3: i.toString(16).padStart(32, '0'),
      tls_ja4: OTHER.tls_ja4.replace(/.{4}$/, i.toString(16).padStart(4, '0')),
    });
    const from = (src: string, i: number) =>
      u.unknownEvent(handshake(src), invented(i), allowlist, 10) !== null;
    assert.deepEqual(
      [1, 2, 3].map((i) => from('198.51.100.3', i)),
      [true, true, false],
    );
    assert.deepEqual(
      [4, 5].map((i) => from('198.51.100.4', i)),
      [true, false],
      'three in all',
    );
    assert.equal(
      u.unknownEvent(handshake('198.51.100.3'), invented(6), allowlist, 1010) !== null,
      true,
      'a new window',
    );
  });
});
