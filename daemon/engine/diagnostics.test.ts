// GET /v1/diagnostics' assembly over an engine stand-in: injected facts for the backend's health,
// the tunnels, the tun node and resolv.conf; the device keys in a real file key store. Every
// answer matches DiagnosticsResponseSchema and lists DAEMON_DIAGNOSTIC_IDS in order; addresses are
// redacted unless asked for; a missing key, a pin mismatch, a skewed clock, a stale route and an
// unresolvable gateway each fail their own check with their code. The kill switch and the session's
// DNS come from a network guard stand-in; its kernel table and resolvers in use are probes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DAEMON_DIAGNOSTIC_IDS,
  type DiagnosticCheck,
  DiagnosticsResponseSchema,
  type KillSwitchInfo,
  NETWORK_UNMANAGED,
  type NetworkProtection,
  type Status,
} from '../../core/api/local.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { cachedValidator } from '../../core/schema/strict.js';
import { FileKeyStore } from '../keystore/file-store.js';
import { DEVICE_SIGNING_KEY } from '../keystore/keystore.js';
import { createDeviceKeys } from './device-keys.js';
import type { DeviceRecord } from './device-record.js';
import { type DiagnosticsProbes, diagnostics } from './diagnostics.js';
import type { EngineContext } from './engine-context.js';

const dir = mkdtempSync(join(tmpdir(), 'viw-diag-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const idFile = join(dir, 'machine-id');
writeFileSync(idFile, `${'5'.repeat(32)}\n`);

const NOW = Date.parse('2026-01-02T03:04:05Z');
const CLEAN: DiagnosticsProbes = {
  tunnels: async () => ({ interfaces: [], routes: [] }),
  tun: async () => ({ platform: 'linux', present: true, charDevice: true }),
  dns: async () => ({ readable: true, nameservers: ['192.0.2.53'], linkTarget: null }),
  killSwitchInstalled: async () => false,
  dnsInUse: async () => [],
  now: () => NOW,
};

type Health = () => Promise<{ value: { version: string }; elapsedMs: number; serverDateMs: number | null }>;

interface Stand {
  record?: Partial<DeviceRecord> | null;
  health?: Health;
  state?: Status['state'];
  lastError?: Status['last_error'];
  store?: FileKeyStore;
  resolveAll?: (host: string) => Promise<string[]>;
  /** The guard's view (default: kill switch session, available, not active; no session DNS). */
  killSwitch?: Partial<KillSwitchInfo>;
  dns?: NetworkProtection['dns'];
}

let n = 0;
async function enrolledStore(): Promise<FileKeyStore> {
  const store = new FileKeyStore({ dir: join(dir, `keys-${n++}`), machineIdPaths: [idFile] });
  await createDeviceKeys(store);
  return store;
}

function engine(s: Stand): EngineContext {
  const record =
    s.record === null
      ? null
      : ({
          device_id: 'd-1',
          status: 'active',
          backend_url: 'https://198.51.100.7:8443',
          ...s.record,
        } as DeviceRecord);
  const status = { state: s.state ?? 'enrolled', last_error: s.lastError ?? null } as Status;
  const store = s.store ?? new FileKeyStore({ dir: join(dir, `empty-${n++}`), machineIdPaths: [idFile] });
  return {
    getStatus: () => status,
    currentRecord: () => record,
    keyStore: () => store,
    backend: () => ({
      health: s.health ?? (async () => ({ value: { version: '1.2.3' }, elapsedMs: 12, serverDateMs: NOW })),
    }),
    components: () => ({ resolveAll: s.resolveAll ?? (async () => ['203.0.113.9']) }),
    network: () => ({
      network: (): NetworkProtection => ({
        kill_switch: { ...NETWORK_UNMANAGED.kill_switch, mode: 'session', available: true, ...s.killSwitch },
        dns: s.dns ?? null,
        leak_check: null,
      }),
      // The probes (CLEAN) stand in for nft and the DNS method.
      switchInstalled: async () => false,
      serversInUse: async () => [],
    }),
  } as unknown as EngineContext;
}

async function run(
  s: Stand,
  o: { probes?: DiagnosticsProbes; includeAddresses?: boolean; gatewayFqdn?: string | null } = {},
) {
  const r = await diagnostics(engine(s), o.probes ?? CLEAN, {
    includeAddresses: o.includeAddresses ?? false,
    gatewayFqdn: o.gatewayFqdn ?? null,
    daemonVersion: '9.9.9',
  });
  assert.ok(cachedValidator(DiagnosticsResponseSchema).check(r), JSON.stringify(r));
  assert.deepEqual(
    r.checks.map((c) => c.id),
    [...DAEMON_DIAGNOSTIC_IDS],
  );
  const by = Object.fromEntries(r.checks.map((c) => [c.id, c])) as Record<string, DiagnosticCheck>;
  return { r, by };
}

describe('daemon diagnostics', () => {
  it('a healthy enrolled machine: every check passes, the kill switch armed for the next connect', async () => {
    const { r, by } = await run({ store: await enrolledStore() }, { gatewayFqdn: 'gw.example' });
    for (const c of r.checks) assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.equal(by.backend?.details?.rtt_ms, 12);
    assert.equal(by.backend?.details?.pin, 'match');
    assert.equal(by.device_key?.details?.key_store, 'file-aes-gcm');
    assert.deepEqual([by.kill_switch?.details?.mode, by.kill_switch?.details?.active], ['session', false]);
  });

  it('kill_switch from the guard: off warns, on without nftables fails, a table gone from the kernel fails', async () => {
    const store = await enrolledStore();
    const off = await run({ store, killSwitch: { mode: 'off' } });
    assert.equal(off.by.kill_switch?.status, 'warn');
    assert.match(off.by.kill_switch?.hint ?? '', /viworks killswitch on/);
    const none = await run({ store, killSwitch: { available: false } });
    assert.equal(none.by.kill_switch?.status, 'fail');
    assert.equal(none.by.kill_switch?.code, 'VIW_E_KILL_SWITCH');
    assert.match(none.by.kill_switch?.hint ?? '', /nftables/);
    const always = { mode: 'always', active: true, holding: 'always' } as const;
    const up = await run(
      { store, killSwitch: always },
      { probes: { ...CLEAN, killSwitchInstalled: async () => true } },
    );
    assert.equal(up.by.kill_switch?.status, 'pass');
    assert.equal(up.by.kill_switch?.details?.installed, true);
    const gone = await run(
      { store, killSwitch: always },
      { probes: { ...CLEAN, killSwitchInstalled: async () => false } },
    );
    assert.equal(gone.by.kill_switch?.status, 'fail');
    assert.equal(gone.by.kill_switch?.code, 'VIW_E_KILL_SWITCH');
    // The daemon that manages no network (no kill switch here at all): a warning.
    const unmanaged = await run({ store, killSwitch: NETWORK_UNMANAGED.kill_switch });
    assert.equal(unmanaged.by.kill_switch?.status, 'warn');
  });

  it('dns_config while connected: the pushed DNS is named, and resolvers that are not pushed fail VIW_E_LEAK', async () => {
    const store = await enrolledStore();
    const dns = {
      method: 'file' as const,
      servers: ['10.8.0.1'],
      search_domains: ['corp.example'],
      interface: 'tun0',
    };
    const s = { store, state: 'connected' as const, dns };
    const ok = await run(s, {
      probes: { ...CLEAN, dnsInUse: async () => ['10.8.0.1'] },
      includeAddresses: true,
    });
    assert.equal(ok.by.dns_config?.status, 'pass');
    assert.equal(ok.by.dns_config?.details?.session_servers, '10.8.0.1');
    assert.equal(ok.by.dns_config?.details?.session_method, 'file');
    const leak = await run(s, { probes: { ...CLEAN, dnsInUse: async () => ['192.0.2.53'] } });
    assert.equal(leak.by.dns_config?.status, 'fail');
    assert.equal(leak.by.dns_config?.code, 'VIW_E_LEAK');
    assert.ok(!JSON.stringify(leak.r).includes('10.8.0.1'), 'the session DNS is an address: redacted');
  });

  it('addresses are redacted unless asked for (backend URL, resolver, gateway addresses)', async () => {
    const store = await enrolledStore();
    const { r } = await run({ store }, { gatewayFqdn: 'gw.example' });
    const text = JSON.stringify(r);
    for (const a of ['198.51.100.7', '192.0.2.53', '203.0.113.9'])
      assert.ok(!text.includes(a), `${a} in ${text}`);
    assert.match(text, /198\.x\.x\.x~[0-9a-f]{4}:8443/);
    assert.equal(r.addresses, 'redacted');
    const all = JSON.stringify(
      (await run({ store }, { gatewayFqdn: 'gw.example', includeAddresses: true })).r,
    );
    for (const a of ['198.51.100.7', '192.0.2.53', '203.0.113.9']) assert.ok(all.includes(a), a);
  });

  it('not enrolled: enrollment fails, the backend-side checks skip', async () => {
    const { by } = await run({ record: null });
    assert.equal(by.enrollment?.status, 'fail');
    assert.equal(by.enrollment?.code, 'VIW_E_DEVICE_UNKNOWN');
    for (const id of ['device_key', 'backend', 'clock', 'gateway_dns'])
      assert.equal(by[id]?.status, 'skip', id);
  });

  it('a missing device key fails device_key with VIW_E_KEYSTORE', async () => {
    const store = await enrolledStore();
    await store.delete(DEVICE_SIGNING_KEY);
    const { by } = await run({ store });
    assert.equal(by.device_key?.status, 'fail');
    assert.equal(by.device_key?.code, 'VIW_E_KEYSTORE');
  });

  it('pin mismatch and unreachable backend fail backend; the clock is then skipped', async () => {
    for (const code of ['VIW_E_PIN_MISMATCH', 'VIW_E_BACKEND_UNREACHABLE'] as const) {
      const { by } = await run({
        store: await enrolledStore(),
        health: async () => {
          throw new ViworksError(code);
        },
      });
      assert.equal(by.backend?.status, 'fail');
      assert.equal(by.backend?.code, code);
      assert.equal(by.clock?.status, 'skip');
    }
  });

  it('a clock 5 minutes behind the backend fails clock with VIW_E_CLOCK_SKEW', async () => {
    const { by } = await run({
      store: await enrolledStore(),
      health: async () => ({ value: { version: '1' }, elapsedMs: 5, serverDateMs: NOW + 300_000 }),
    });
    assert.equal(by.clock?.status, 'fail');
    assert.equal(by.clock?.code, 'VIW_E_CLOCK_SKEW');
    assert.equal(by.clock?.details?.skew_s, -300);
  });

  it('a gateway that does not resolve fails gateway_dns; without a known gateway it is skipped', async () => {
    const { by } = await run(
      {
        store: await enrolledStore(),
        resolveAll: async () => {
          throw new Error('ENOTFOUND');
        },
      },
      { gatewayFqdn: 'gw.example' },
    );
    assert.equal(by.gateway_dns?.status, 'fail');
    assert.equal((await run({ store: await enrolledStore() })).by.gateway_dns?.status, 'skip');
  });

  it('a WireGuard link with def1 routes while not connected fails other_vpn and stale_routes', async () => {
    const probes: DiagnosticsProbes = {
      ...CLEAN,
      tunnels: async () => ({
        interfaces: [{ name: 'wg0', kind: 'wireguard' }],
        routes: [{ family: 4, dst: '0.0.0.0/1', dev: 'wg0' }],
      }),
    };
    const { by } = await run({ store: await enrolledStore() }, { probes });
    assert.equal(by.other_vpn?.status, 'fail');
    assert.equal(by.stale_routes?.status, 'fail');
    assert.match(by.stale_routes?.summary ?? '', /0\.0\.0\.0\/1 via wg0/);
    // Connected, our own tun0 and its routes are expected.
    const own: DiagnosticsProbes = {
      ...CLEAN,
      tunnels: async () => ({
        interfaces: [{ name: 'tun0', kind: 'tun' }],
        routes: [{ family: 4, dst: '0.0.0.0/1', dev: 'tun0' }],
      }),
    };
    const up = await run({ store: await enrolledStore(), state: 'connected' }, { probes: own });
    assert.equal(up.by.other_vpn?.status, 'pass');
    assert.equal(up.by.stale_routes?.status, 'pass');
  });

  it('a missing tun node and an empty resolv.conf fail; the last error is reported with its hint', async () => {
    const probes: DiagnosticsProbes = {
      ...CLEAN,
      tun: async () => ({ platform: 'linux', present: false, charDevice: false }),
      dns: async () => ({ readable: true, nameservers: [], linkTarget: null }),
    };
    const { by } = await run(
      {
        store: await enrolledStore(),
        state: 'error',
        lastError: { code: 'VIW_E_TLS_FAILED', message: 'TLS failed', hint: 'Check the network.' },
      },
      { probes },
    );
    assert.equal(by.tun_device?.status, 'fail');
    assert.equal(by.dns_config?.status, 'fail');
    assert.equal(by.last_error?.status, 'warn');
    assert.equal(by.last_error?.code, 'VIW_E_TLS_FAILED');
    assert.equal(by.last_error?.hint, 'Check the network.');
  });
});
