// The stunnel → OpenVPN join both log readers share: an OpenVPN client is the TLS peer stunnel
// relayed on its port, from connect to disconnect; a failed TLS handshake relays nothing; without a
// known relay a fact keeps its own source; a snapshot restores the live relays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RelayJoin } from './relay-join.js';
import { type DataplaneFact, fact } from './types.js';

const SESSION = `s-${'1'.repeat(32)}`;
const tls = (result: DataplaneFact['result'], relayPort: number | null) =>
  fact('stunnel', 'tls.handshake', result, {
    srcIp: '192.0.2.1',
    srcPort: 40_000,
    sessionWireId: SESSION,
    relayPort,
  });
const ovpn = (action: DataplaneFact['action'], relayPort: number, session: string | null = null) =>
  fact('openvpn', action, 'success', {
    srcIp: '127.0.0.1',
    srcPort: relayPort,
    relayPort,
    sessionWireId: session,
  });

test('an OpenVPN client is the TLS peer of its relay port until its tunnel ends', () => {
  const j = new RelayJoin();
  assert.deepEqual(j.join(tls('success', 50_001)), {
    srcIp: '192.0.2.1',
    srcPort: 40_000,
    sessionWireId: SESSION,
  });
  const peer = { srcIp: '192.0.2.1', srcPort: 40_000, sessionWireId: SESSION };
  assert.deepEqual(j.join(ovpn('ovpn.connect', 50_001)), peer);
  assert.deepEqual(j.join(ovpn('ovpn.disconnect', 50_001)), peer);
  // Freed with the disconnect: the port's next user is not this peer.
  assert.deepEqual(j.join(ovpn('ovpn.disconnect', 50_001)), {
    srcIp: '127.0.0.1',
    srcPort: 50_001,
    sessionWireId: null,
  });
});

test("OpenVPN's own certificate session wins; a failed handshake relays nothing", () => {
  const j = new RelayJoin();
  j.join(tls('success', 50_002));
  const other = `s-${'2'.repeat(32)}`;
  assert.equal(j.join(ovpn('ovpn.handshake_failed', 50_002, other)).sessionWireId, other);
  j.join(tls('failure', 50_003));
  assert.equal(j.join(ovpn('ovpn.connect', 50_003)).srcIp, '127.0.0.1');
});

test('snapshot and restore carry the live relays, newest last, bounded', () => {
  const j = new RelayJoin(3);
  for (const port of [1, 2, 3, 4]) j.join(tls('success', port));
  assert.deepEqual(
    j.snapshot(2).map(([p]) => p),
    [3, 4],
  );
  const k = new RelayJoin();
  k.restore(j.snapshot(10));
  assert.equal(k.join(ovpn('ovpn.disconnect', 2)).srcIp, '192.0.2.1');
  assert.equal(k.join(ovpn('ovpn.disconnect', 1)).srcIp, '127.0.0.1', 'forgotten beyond the cap');
});
