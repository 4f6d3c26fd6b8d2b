// Lines below were captured from OpenVPN 2.6.14 (OpenSSL 3.0) clients against a 2.6.14 server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyLogLine, sanitizeLogLine, softExitReason, summarizePush } from './log.js';

describe('sanitizeLogLine', () => {
  test('strips the timestamp and keeps ordinary lines', () => {
    assert.equal(
      sanitizeLogLine('2026-11-23 07:13:06 net_addr_v4_add: 10.99.7.2/24 dev tun0'),
      'net_addr_v4_add: 10.99.7.2/24 dev tun0',
    );
    const serial =
      'VERIFY ERROR: depth=0, error=unable to get local issuer certificate: CN=s-bad, O=ViWorkS, serial=60494507101694493144206184709210264367';
    assert.equal(sanitizeLogLine(serial), serial, 'decimal serials are not key material');
    const verified =
      'Control Channel: TLSv1.3, cipher TLSv1.3 TLS_AES_256_GCM_SHA384, peer certificate: 256 bits ECprime256v1';
    assert.equal(sanitizeLogLine(verified), verified);
  });

  test('drops anything that looks like key material, whole', () => {
    for (const line of [
      '-----BEGIN PRIVATE KEY-----',
      '-----END OpenVPN Static key V1-----',
      'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5x0Yx3Yd1Yq7TzXo',
      '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      'Options error: in [stdin]:3: <key> bad',
      'some prefix 4f9c2e1d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e trailing',
    ]) {
      assert.equal(sanitizeLogLine(line), undefined, line);
    }
  });

  test('redacts auth tokens, removes control characters and caps the length', () => {
    assert.equal(
      sanitizeLogLine("PUSH: Received control message: 'PUSH_REPLY,auth-token SESS_ID_abc,ping 10'"),
      "PUSH: Received control message: 'PUSH_REPLY,auth-token [redacted],ping 10'",
    );
    assert.equal(sanitizeLogLine('a\u001b[31mred\u0000'), 'a[31mred');
    assert.equal(sanitizeLogLine(`x ${'word '.repeat(400)}`)?.length, 1024);
    assert.equal(sanitizeLogLine('   '), undefined);
  });
});

describe('classifyLogLine', () => {
  const cases: Array<[string, unknown]> = [
    ['Initialization Sequence Completed', { kind: 'ready' }],
    [
      'Initialization Sequence Completed With Errors ( see http://openvpn.net/faq.html#dhcpclientserv )',
      { kind: 'cause', reason: 'init_errors' },
    ],
    ['TUN/TAP device tun0 opened', { kind: 'tun_opened', device: 'tun0' }],
    [
      'net_addr_v4_add: 10.99.7.2/24 dev tun0',
      { kind: 'address', ip: '10.99.7.2', prefix: 24, device: 'tun0' },
    ],
    ['VERIFY OK: depth=0, CN=ovpn-default, O=ViWorkS', { kind: 'server_verified' }],
    ['[ovpn-default] Peer Connection Initiated with [AF_INET]10.214.250.1:1194', { kind: 'peer_connected' }],
    [
      "Pushed option removed by filter: 'redirect-gateway def1'",
      { kind: 'filtered', option: 'redirect-gateway def1' },
    ],
    [
      'VERIFY X509NAME ERROR: CN=tls-gateway, O=ViWorkS, must be ovpn-',
      { kind: 'cause', reason: 'server_cert_invalid' },
    ],
    [
      'VERIFY ERROR: depth=1, error=unable to get local issuer certificate: CN=x',
      { kind: 'cause', reason: 'server_cert_invalid' },
    ],
    ['AUTH: Received control message: AUTH_FAILED', { kind: 'cause', reason: 'auth_failed' }],
    [
      'Options error: In [CMD-LINE]:1: Error opening configuration file: -',
      { kind: 'cause', reason: 'config_rejected' },
    ],
    ['ERROR: Endtag </cert> missing', { kind: 'cause', reason: 'config_rejected' }],
    [
      'ERROR: Cannot open TUN/TAP dev /dev/net/tun: No such file or directory (errno=2)',
      { kind: 'cause', reason: 'tun_unavailable' },
    ],
    [
      'TCP: connect to [AF_INET]10.214.250.1:1195 failed: Connection refused',
      { kind: 'cause', reason: 'connection_failed' },
    ],
    [
      'TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)',
      { kind: 'cause', reason: 'tls_failed' },
    ],
    [
      'SIGTERM[soft,connection-reset] received, process exiting',
      { kind: 'signal', signal: 'SIGTERM', soft: true, why: 'connection-reset' },
    ],
    ['SIGTERM[hard,] received, process exiting', { kind: 'signal', signal: 'SIGTERM', soft: false, why: '' }],
    ["Data Channel: cipher 'AES-256-GCM', peer-id: 0", undefined],
  ];
  for (const [line, expected] of cases) {
    test(line.slice(0, 60), () => assert.deepEqual(classifyLogLine(line), expected));
  }

  test('PUSH_REPLY is parsed and summarized', () => {
    const ev = classifyLogLine(
      "PUSH: Received control message: 'PUSH_REPLY,redirect-gateway def1,block-outside-dns,dhcp-option DNS 10.0.0.53,route-gateway 10.99.7.1,topology subnet,ping 10,ping-restart 60,ifconfig 10.99.7.2 255.255.255.0,peer-id 0,cipher AES-256-GCM'",
    );
    assert.equal(ev?.kind, 'push_reply');
    if (ev?.kind !== 'push_reply') return;
    assert.deepEqual(summarizePush(ev.options), { redirectGateway: true, dns: ['10.0.0.53'] });
  });
});

describe('softExitReason', () => {
  const before = { serverVerified: false, peerConnected: false, ready: false };
  test('the phase decides what a reset means', () => {
    assert.equal(softExitReason('connection-reset', before), 'connection_failed');
    assert.equal(
      softExitReason('connection-reset', { ...before, serverVerified: true }),
      'handshake_rejected',
    );
    assert.equal(
      softExitReason('connection-reset', { serverVerified: true, peerConnected: true, ready: true }),
      'connection_lost',
    );
    assert.equal(
      softExitReason('ping-restart', { serverVerified: true, peerConnected: true, ready: true }),
      'connection_lost',
    );
    assert.equal(softExitReason('connection-failed', before), 'connection_failed');
    assert.equal(softExitReason('tls-error', before), 'tls_failed');
    assert.equal(softExitReason('auth-failure', before), 'auth_failed');
    assert.equal(softExitReason('something-new', before), 'exited');
  });
});
