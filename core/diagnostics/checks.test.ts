// Each doctor check's pass and fail (and warn/skip) path, from injected facts; every result is a
// valid DiagnosticCheck (the wire schema), and every fail carries a stable code and a hint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DiagnosticCheck,
  DiagnosticCheckSchema,
  type KillSwitchInfo,
  NETWORK_UNMANAGED,
} from '../api/local.js';
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

  it('dns_config with a session DNS: the resolvers in use must be the pushed ones (as the leak check)', () => {
    const stub = {
      readable: true,
      nameservers: ['127.0.0.53'],
      linkTarget: '../run/systemd/resolve/stub-resolv.conf',
    };
    const applied = {
      method: 'systemd-resolved' as const,
      servers: ['10.8.0.1', '10.8.0.2'],
      search_domains: ['corp.example'],
      interface: 'tun0',
    };
    const ok = expect(dnsConfigCheck(stub, { applied, inUse: ['10.8.0.1', '10.8.0.2'] }), 'pass');
    assert.match(
      ok.summary,
      /session DNS 10\.8\.0\.1, 10\.8\.0\.2 via systemd-resolved on tun0, search corp\.example/,
    );
    assert.equal(ok.details?.manager, 'systemd-resolved', "resolv.conf's own facts stay");
    assert.equal(ok.details?.session_method, 'systemd-resolved');
    assert.equal(ok.details?.search_domains, 'corp.example');
    const swapped = expect(
      dnsConfigCheck(stub, { applied, inUse: ['10.8.0.1', '192.168.1.1'] }),
      'fail',
      'VIW_E_LEAK',
    );
    assert.match(swapped.summary, /now uses 192\.168\.1\.1$/);
    assert.equal(swapped.details?.in_use, '10.8.0.1, 192.168.1.1');
    expect(dnsConfigCheck(stub, { applied, inUse: [] }), 'fail', 'VIW_E_LEAK');
    expect(dnsConfigCheck(stub, { applied, inUse: null }), 'warn');
    // resolv.conf itself broken: that failure comes first.
    expect(
      dnsConfigCheck(
        { readable: false, nameservers: [], linkTarget: null },
        { applied, inUse: applied.servers },
      ),
      'fail',
      'VIW_E_PREFLIGHT',
    );
  });

  it('kill_switch: pass when on and available; warn when off or held; fail (VIW_E_KILL_SWITCH) when it cannot protect', () => {
    const ks = (over: Partial<KillSwitchInfo>): KillSwitchInfo => ({
      ...NETWORK_UNMANAGED.kill_switch,
      mode: 'session',
      available: true,
      ...over,
    });
    // On, waiting for a session; on and protecting one; always between sessions.
    let c = expect(killSwitchCheck(ks({})), 'pass');
    assert.match(c.summary, /next connect/);
    assert.deepEqual([c.details?.mode, c.details?.active], ['session', false]);
    c = expect(killSwitchCheck(ks({ active: true }), true), 'pass');
    assert.equal(c.details?.installed, true);
    c = expect(killSwitchCheck(ks({ mode: 'always', active: true, holding: 'always' }), true), 'pass');
    assert.match(c.summary, /between sessions/);
    // Off: a warning that says how to turn it on (and to install nftables first when missing).
    c = expect(killSwitchCheck(ks({ mode: 'off' })), 'warn');
    assert.match(c.hint ?? '', /viworks killswitch on/);
    c = expect(killSwitchCheck(ks({ mode: 'off', available: false })), 'warn');
    assert.match(c.hint ?? '', /apt-get install nftables.*viworks killswitch on/);
    // Held after a lost session: a warning naming the way out.
    c = expect(killSwitchCheck(ks({ active: true, holding: 'after_failure' }), true), 'warn');
    assert.match(c.hint ?? '', /viworks disconnect/);
    // Always but not in place.
    expect(killSwitchCheck(ks({ mode: 'always' })), 'warn');
    // Cannot protect: on without nftables (connect refused), off against the policy, table gone.
    for (const mode of ['session', 'always'] as const) {
      c = expect(killSwitchCheck(ks({ mode, available: false })), 'fail', 'VIW_E_KILL_SWITCH');
      assert.match(c.hint ?? '', /apt-get install nftables/);
    }
    expect(killSwitchCheck(ks({ mode: 'off', required: true })), 'fail', 'VIW_E_KILL_SWITCH');
    c = expect(
      killSwitchCheck(ks({ mode: 'always', active: true, holding: 'always' }), false),
      'fail',
      'VIW_E_KILL_SWITCH',
    );
    assert.match(c.hint ?? '', /viworks killswitch always/);
    // The daemon that manages no network: off, not available.
    expect(killSwitchCheck(NETWORK_UNMANAGED.kill_switch), 'warn');
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
