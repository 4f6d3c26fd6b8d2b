// Each doctor check's pass and fail (and warn/skip) path, from injected facts; every result is a
// valid DiagnosticCheck (the wire schema), and every fail carries a stable code and a hint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DiagnosticCheck, DiagnosticCheckSchema } from '../api/local.js';
import { isErrorCode } from '../errors/catalogue.js';
import { cachedValidator } from '../schema/strict.js';
import {
  backendCheck,
  clockCheck,
  daemonCheck,
  deviceKeyCheck,
  dnsConfigCheck,
  dnsManager,
  enrollmentCheck,
  gatewayDnsCheck,
  killSwitchCheck,
  lastErrorCheck,
  otherVpnCheck,
  redactChecks,
  staleRoutesCheck,
  type TunnelFacts,
  tunDeviceCheck,
} from './checks.js';

function expect(c: DiagnosticCheck, status: DiagnosticCheck['status'], code?: string): DiagnosticCheck {
  assert.ok(cachedValidator(DiagnosticCheckSchema).check(c), JSON.stringify(c));
  assert.equal(c.status, status, JSON.stringify(c));
  if (status === 'fail') {
    assert.ok(c.code && isErrorCode(c.code), `a fail names a catalogue code: ${JSON.stringify(c)}`);
    assert.ok((c.hint ?? '').length > 0, 'a fail has a hint');
  }
  if (status === 'warn') assert.ok((c.hint ?? '').length > 0, 'a warning has a hint');
  if (code !== undefined) assert.equal(c.code, code);
  return c;
}

describe('doctor checks', () => {
  it('daemon: reachable and same version passes; another version warns; unreachable fails with its code', () => {
    expect(
      daemonCheck({ reachable: true, daemonVersion: '1.0.0', clientVersion: '1.0.0', localApiVersion: 1 }),
      'pass',
    );
    expect(
      daemonCheck({ reachable: true, daemonVersion: '0.9.0', clientVersion: '1.0.0', localApiVersion: 1 }),
      'warn',
    );
    const c = expect(
      daemonCheck({
        reachable: false,
        clientVersion: '1.0.0',
        error: { code: 'VIW_E_DAEMON_UNAVAILABLE', message: 'not running', hint: 'Start it.' },
      }),
      'fail',
      'VIW_E_DAEMON_UNAVAILABLE',
    );
    assert.equal(c.hint, 'Start it.');
  });

  it('enrollment: active passes; none, revoked fail; pending warns', () => {
    const device = (status: string) => ({ device_id: 'd1', status });
    expect(enrollmentCheck({ device: device('active'), backendHost: 'vpn.example' }), 'pass');
    expect(enrollmentCheck({ device: null, backendHost: null }), 'fail', 'VIW_E_DEVICE_UNKNOWN');
    expect(enrollmentCheck({ device: device('revoked'), backendHost: 'x' }), 'fail', 'VIW_E_DEVICE_REVOKED');
    expect(
      enrollmentCheck({ device: device('pending_approval'), backendHost: 'x' }),
      'warn',
      'VIW_E_DEVICE_PENDING',
    );
  });

  it('device_key: keys present passes (protection reported); missing fails; not enrolled skips', () => {
    const base = { enrolled: true, store: 'file-aes-gcm', protection: 'software' } as const;
    const ok = expect(deviceKeyCheck({ ...base, keys: { ok: true } }), 'pass');
    assert.equal(ok.details?.protection, 'software');
    expect(
      deviceKeyCheck({
        ...base,
        keys: { ok: false, code: 'VIW_E_KEYSTORE', detail: 'device-sign-ed25519: missing' },
      }),
      'fail',
      'VIW_E_KEYSTORE',
    );
    expect(deviceKeyCheck({ ...base, enrolled: false, keys: { ok: true } }), 'skip');
  });

  it('backend: fast passes, slow warns, too slow / unreachable / pin mismatch fail', () => {
    const up = (rttMs: number) =>
      ({ enrolled: true, host: 'vpn.example', ok: true, rttMs, version: '1' }) as const;
    expect(backendCheck(up(40)), 'pass');
    expect(backendCheck(up(450)), 'warn');
    expect(backendCheck(up(2500)), 'fail', 'VIW_E_PREFLIGHT');
    const down = (code: string) => ({ enrolled: true, host: 'vpn.example', ok: false, code }) as const;
    expect(backendCheck(down('VIW_E_BACKEND_UNREACHABLE')), 'fail', 'VIW_E_BACKEND_UNREACHABLE');
    const pin = expect(backendCheck(down('VIW_E_PIN_MISMATCH')), 'fail', 'VIW_E_PIN_MISMATCH');
    assert.match(pin.summary, /pin/);
    expect(backendCheck({ enrolled: false }), 'skip');
  });

  it('clock: within 10 s passes, 30 s warns, 2 min fails; no server time skips', () => {
    expect(clockCheck({ enrolled: true, skewMs: 3000 }), 'pass');
    expect(clockCheck({ enrolled: true, skewMs: -30_000 }), 'warn');
    const c = expect(clockCheck({ enrolled: true, skewMs: 120_000 }), 'fail', 'VIW_E_CLOCK_SKEW');
    assert.match(c.summary, /120 s ahead/);
    expect(clockCheck({ enrolled: true, skewMs: null }), 'skip');
    expect(clockCheck({ enrolled: false, skewMs: null }), 'skip');
  });

  it('gateway_dns: resolves passes, does not fails, unknown gateway skips', () => {
    expect(gatewayDnsCheck({ fqdn: 'gw.example', addresses: ['192.0.2.1'], ms: 3 }), 'pass');
    expect(gatewayDnsCheck({ fqdn: 'gw.example', error: 'does not resolve' }), 'fail', 'VIW_E_PREFLIGHT');
    expect(gatewayDnsCheck({ fqdn: null }), 'skip');
  });

  it('tun_device: a character device passes; missing or a plain file fails; elsewhere skips', () => {
    expect(tunDeviceCheck({ platform: 'linux', present: true, charDevice: true }), 'pass');
    expect(
      tunDeviceCheck({ platform: 'linux', present: false, charDevice: false }),
      'fail',
      'VIW_E_PREFLIGHT',
    );
    expect(
      tunDeviceCheck({ platform: 'linux', present: true, charDevice: false }),
      'fail',
      'VIW_E_PREFLIGHT',
    );
    expect(tunDeviceCheck({ platform: 'other' }), 'skip');
  });

  it('other_vpn and stale_routes: clean passes; a foreign tunnel and its catch-all route fail when not connected', () => {
    const none: TunnelFacts = { interfaces: [], routes: [], tunnelUp: false, source: 'ip' };
    expect(otherVpnCheck(none), 'pass');
    expect(staleRoutesCheck(none), 'pass');
    const wg: TunnelFacts = {
      interfaces: [{ name: 'wg0', kind: 'wireguard' }],
      routes: [{ dst: '0.0.0.0/1', dev: 'wg0' }],
      tunnelUp: false,
      source: 'ip',
    };
    expect(otherVpnCheck(wg), 'fail', 'VIW_E_PREFLIGHT');
    expect(staleRoutesCheck(wg), 'fail', 'VIW_E_PREFLIGHT');
    // Connected: our own tun and its routes are expected; a second tunnel warns.
    const own: TunnelFacts = {
      interfaces: [{ name: 'tun0', kind: 'tun' }],
      routes: [{ dst: '0.0.0.0/1', dev: 'tun0' }],
      tunnelUp: true,
      source: 'ip',
    };
    expect(otherVpnCheck(own), 'pass');
    expect(staleRoutesCheck(own), 'pass');
    expect(
      otherVpnCheck({ ...own, interfaces: [...own.interfaces, { name: 'wg0', kind: 'wireguard' }] }),
      'warn',
    );
    // Names only (no daemon): routes are not known.
    expect(staleRoutesCheck({ ...none, source: 'sysfs' }), 'skip');
  });

  it('dns_config: servers pass (manager named); none or unreadable fail', () => {
    const stub = {
      readable: true,
      nameservers: ['127.0.0.53'],
      linkTarget: '../run/systemd/resolve/stub-resolv.conf',
    };
    const c = expect(dnsConfigCheck(stub), 'pass');
    assert.equal(c.details?.manager, 'systemd-resolved');
    assert.equal(c.details?.loopback_stub, true);
    assert.equal(
      dnsManager({ readable: true, nameservers: ['192.0.2.53'], linkTarget: null }),
      'static file',
    );
    expect(dnsConfigCheck({ readable: true, nameservers: [], linkTarget: null }), 'fail', 'VIW_E_PREFLIGHT');
    expect(dnsConfigCheck({ readable: false, nameservers: [], linkTarget: null }), 'fail', 'VIW_E_PREFLIGHT');
  });

  it('kill_switch: not available (issue #12), never a pass', () => {
    const c = expect(killSwitchCheck(), 'skip');
    assert.equal(c.details?.state, 'not_available');
    assert.match(c.summary, /#12/);
  });

  it('last_error: none passes; a kept error warns with its code and hint', () => {
    expect(lastErrorCheck({ state: 'enrolled', lastError: null }), 'pass');
    const c = expect(
      lastErrorCheck({
        state: 'error',
        lastError: { code: 'VIW_E_TLS_FAILED', message: 'TLS failed', hint: 'Check the network.' },
      }),
      'warn',
      'VIW_E_TLS_FAILED',
    );
    assert.equal(c.hint, 'Check the network.');
  });
});

describe('redactChecks', () => {
  it('redacts every string and keeps each within the schema bounds', async () => {
    const { createRedactor } = await import('./redact.js');
    const long = `${'10.1.2.3 '.repeat(30)}`.slice(0, 256);
    const [c] = redactChecks(
      [{ id: 'x', status: 'warn', summary: long, hint: long, details: { a: long, n: 1 } }],
      createRedactor({ includeAddresses: false }),
    );
    assert.ok(c && cachedValidator(DiagnosticCheckSchema).check(c), JSON.stringify(c));
    assert.doesNotMatch(JSON.stringify(c), /10\.1\.2\.3/);
    assert.equal(c.details?.n, 1);
  });
});
