import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { executable } from '../../../scripts/testkit/peers.js';
import {
  ipv4CatchAllViaTunnel,
  openvpnVersion,
  parseOpenVpnVersion,
  parseResolvConf,
  resolveTrustedBinary,
  unexpectedOutsideRoutes,
} from './host-checks.js';

describe('openvpn version', () => {
  test('parses 2.6 output; refuses what is not OpenVPN', () => {
    const v = parseOpenVpnVersion(
      'OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]\nlibrary versions: OpenSSL 3.0.19 27 Jan 2026, LZO 2.10\n',
    );
    assert.deepEqual(v, {
      version: '2.6.14',
      major: 2,
      minor: 6,
      patch: 14,
      ssl: 'OpenSSL 3.0.19',
      dco: true,
    });
    assert.equal(parseOpenVpnVersion('OpenVPN 2.5.9 x86_64-pc-linux-gnu [SSL (OpenSSL)]')?.minor, 5);
    assert.equal(parseOpenVpnVersion('bash: openvpn: command not found'), null);
  });

  const dir = mkdtempSync(join(tmpdir(), 'viw-ovpn-pre-'));
  chmodSync(dir, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string, mode = 0o755) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode });
    chmodSync(p, mode);
    return p;
  };

  test('older than 2.6, unrecognised, or unsafe binaries are preflight failures', async () => {
    const old = script('old', 'echo "OpenVPN 2.5.9 x86_64-pc-linux-gnu [SSL (OpenSSL)]"');
    await assert.rejects(
      openvpnVersion(old),
      (e) => isViworksError(e, 'VIW_E_PREFLIGHT') && /older than 2\.6/.test(e.details[0] ?? ''),
    );
    const other = script('other', 'echo hello');
    await assert.rejects(openvpnVersion(other), (e) => isViworksError(e, 'VIW_E_PREFLIGHT'));
    const writable = script('writable', 'echo "OpenVPN 2.6.14 x"', 0o777);
    assert.throws(
      () => resolveTrustedBinary(writable, 'openvpn'),
      (e) => isViworksError(e, 'VIW_E_PREFLIGHT') && /writable/.test(e.details[0] ?? ''),
    );
    assert.throws(
      () => resolveTrustedBinary('openvpn', 'openvpn'),
      (e) => isViworksError(e, 'VIW_E_PREFLIGHT'),
    );
    assert.throws(
      () => resolveTrustedBinary(join(dir, 'missing'), 'openvpn'),
      (e) => isViworksError(e, 'VIW_E_PREFLIGHT'),
    );
    const link = join(dir, 'link');
    symlinkSync(old, link);
    assert.equal(resolveTrustedBinary(link, 'openvpn'), old, 'symlinks resolve to the real file');
  });

  test('the installed OpenVPN is ≥ 2.6', {
    skip: executable('/usr/sbin/openvpn') ? undefined : 'no /usr/sbin/openvpn',
  }, async () => {
    const v = await openvpnVersion();
    assert.ok(v.major > 2 || (v.major === 2 && v.minor >= 6), v.version);
  });
});

describe('routing helpers', () => {
  test('def1 pair or a default route through the tunnel', () => {
    const lan = { dst: 'default', dev: 'eth0', gateway: '192.168.1.1' };
    assert.equal(ipv4CatchAllViaTunnel([lan], 'tun0'), false);
    assert.equal(
      ipv4CatchAllViaTunnel([lan, { dst: '0.0.0.0/1', dev: 'tun0' }], 'tun0'),
      false,
      'half is not enough',
    );
    assert.equal(
      ipv4CatchAllViaTunnel(
        [lan, { dst: '0.0.0.0/1', dev: 'tun0' }, { dst: '128.0.0.0/1', dev: 'tun0' }],
        'tun0',
      ),
      true,
    );
    assert.equal(ipv4CatchAllViaTunnel([{ dst: 'default', dev: 'tun0' }], 'tun0'), true);
  });

  test('resolv.conf nameservers', () => {
    assert.deepEqual(
      parseResolvConf(
        '# comment\nnameserver 10.0.0.53\nsearch example\n  nameserver fe80::1%eth0\nnameserver bogus\noptions edns0\n',
      ),
      ['10.0.0.53', 'fe80::1'],
    );
  });
});

describe('routes outside the tunnel after connect', () => {
  const before = [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
    { dst: '192.168.1.0/24', dev: 'eth0' },
  ];
  const def1 = [
    { dst: '0.0.0.0/1', gateway: '10.99.7.1', dev: 'tun0' },
    { dst: '128.0.0.0/1', gateway: '10.99.7.1', dev: 'tun0' },
    { dst: '10.99.7.0/24', dev: 'tun0' },
  ];
  const bypass = [
    { dst: '203.0.113.7', gateway: '192.168.1.1', dev: 'eth0' },
    { dst: '198.51.100.20', gateway: '192.168.1.1', dev: 'eth0' },
  ];

  test('accepts exactly the gateway and backend bypasses (and anything through the tunnel)', () => {
    const after = [...before, ...def1, ...bypass];
    assert.deepEqual(unexpectedOutsideRoutes(before, after, 'tun0', ['203.0.113.7', '198.51.100.20']), []);
  });

  test('a pushed net_gateway route, or a bypass the config did not ask for, is reported', () => {
    const pushed = { dst: '10.10.0.0/16', gateway: '192.168.1.1', dev: 'eth0' };
    const after = [...before, ...def1, ...bypass, pushed];
    assert.deepEqual(unexpectedOutsideRoutes(before, after, 'tun0', ['203.0.113.7', '198.51.100.20']), [
      pushed,
    ]);
    // Without the backend in the allowed list, its /32 is one route too many.
    assert.deepEqual(unexpectedOutsideRoutes(before, after, 'tun0', ['203.0.113.7']), [bypass[1], pushed]);
  });

  test('a pre-existing route that changed its way out counts as new', () => {
    const moved = { dst: '192.168.1.0/24', dev: 'eth1' };
    assert.deepEqual(unexpectedOutsideRoutes(before, [before[0]!, moved, ...def1], 'tun0', []), [moved]);
  });
});
