// Preflight verdicts, each with a passing and a failing case: backend reachability and latency
// (limit 2 s), clock skew against the backend's Date header (limit 60 s), a tunnel interface or
// catch-all route left by another VPN or an earlier session, the bootstrap's time-zone policy, and
// the error a failed preflight turns into. (gateway_dns/backend_route: resolve.test.ts; openvpn
// ≥ 2.6: openvpn/starter-preflight.test.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BootstrapPayload } from '../../core/bootstrap/payload.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { MAX_BACKEND_RTT_MS, preflightError, SystemPreflight } from './system-preflight.js';

const net = mkdtempSync(join(tmpdir(), 'viw-net-'));
after(() => rmSync(net, { recursive: true, force: true }));
mkdirSync(join(net, 'lo'));
mkdirSync(join(net, 'eth0'));

const NOW = Date.parse('2030-01-01T12:00:00Z');
const health = (skewMs: number) => async () => ({ elapsedMs: 12, serverDateMs: NOW - skewMs });
const payload = (zones: string[]) =>
  ({ policy: { allowed_timezones: zones } }) as unknown as BootstrapPayload;
const pf = (zone = 'Europe/Berlin') =>
  new SystemPreflight({ netDir: net, now: () => NOW, timeZone: () => zone });
const byName = (checks: Awaited<ReturnType<SystemPreflight['run']>>, name: string) =>
  checks.find((c) => c.name === name);

describe('SystemPreflight', () => {
  it('passes a clock within 60 s of the backend, fails one further off with VIW_E_CLOCK_SKEW', async () => {
    const good = await pf().run({ health: health(30_000), payload: null, tunnelUp: false });
    assert.equal(byName(good, 'clock')?.ok, true);
    assert.equal(byName(good, 'backend')?.ok, true);
    assert.equal(preflightError(good), null);
    const bad = await pf().run({ health: health(-120_000), payload: null, tunnelUp: false });
    assert.equal(byName(bad, 'clock')?.code, 'VIW_E_CLOCK_SKEW');
    assert.equal(preflightError(bad)?.code, 'VIW_E_CLOCK_SKEW');
  });

  it('reports an unreachable backend by its code', async () => {
    const down = async () => {
      throw new ViworksError('VIW_E_BACKEND_UNREACHABLE');
    };
    const checks = await pf().run({ health: down, payload: null, tunnelUp: false });
    assert.equal(byName(checks, 'backend')?.code, 'VIW_E_BACKEND_UNREACHABLE');
  });

  it('fails on a foreign tunnel interface unless our own tunnel is the one up', async () => {
    mkdirSync(join(net, 'tun0'));
    try {
      const checks = await pf().run({ health: health(0), payload: null, tunnelUp: false });
      assert.equal(byName(checks, 'no_other_vpn')?.ok, false);
      assert.equal(preflightError(checks)?.code, 'VIW_E_PREFLIGHT');
      const ours = await pf().run({ health: health(0), payload: null, tunnelUp: true });
      assert.equal(byName(ours, 'no_other_vpn')?.ok, true);
    } finally {
      rmSync(join(net, 'tun0'), { recursive: true });
    }
  });

  it('applies the time-zone policy from the bootstrap (empty = any)', async () => {
    const run = (zone: string, zones: string[]) =>
      pf(zone).run({ health: health(0), payload: payload(zones), tunnelUp: false });
    assert.equal(byName(await run('Europe/Berlin', []), 'timezone')?.ok, true);
    assert.equal(byName(await run('Europe/Berlin', ['Europe/Berlin']), 'timezone')?.ok, true);
    assert.equal(byName(await run('Asia/Tokyo', ['Europe/Berlin']), 'timezone')?.ok, false);
  });

  it('reads the time zone only when the policy restricts it (ICU stays unmapped otherwise)', async () => {
    let reads = 0;
    const counting = new SystemPreflight({
      netDir: net,
      now: () => NOW,
      timeZone: () => {
        reads++;
        return 'Asia/Tokyo';
      },
    });
    const check = (p: BootstrapPayload | null) =>
      counting.run({ health: health(0), payload: p, tunnelUp: false }).then((c) => byName(c, 'timezone'));
    assert.equal((await check(null))?.ok, true);
    assert.equal((await check(payload([])))?.ok, true);
    assert.equal(reads, 0);
    assert.equal((await check(payload(['Europe/Berlin'])))?.ok, false);
    assert.equal(reads, 1);
  });
});

describe('SystemPreflight: latency and tunnels left behind', () => {
  it('fails a backend slower than the documented limit (VIW_E_PREFLIGHT naming the check)', async () => {
    const slow = async () => ({ elapsedMs: MAX_BACKEND_RTT_MS + 500, serverDateMs: NOW });
    const checks = await pf().run({ health: slow, payload: null, tunnelUp: false });
    const backend = byName(checks, 'backend');
    assert.equal(backend?.ok, false);
    assert.equal(backend?.code, 'VIW_E_PREFLIGHT');
    assert.match(backend?.detail ?? '', /round trip 2500 ms over the 2000 ms limit/);
    assert.deepEqual(preflightError(checks)?.details, [`backend: ${backend?.detail}`]);
    const fast = await pf().run({ health: health(0), payload: null, tunnelUp: false });
    assert.match(byName(fast, 'backend')?.detail ?? '', /round trip 12 ms/);
  });

  it('fails on a catch-all route through a tunnel device left by an earlier session', async () => {
    const leftover = new SystemPreflight({
      now: () => NOW,
      tunnels: async () => ({ interfaces: [], routes: [{ family: 4, dst: '0.0.0.0/1', dev: 'tun7' }] }),
    });
    const checks = await leftover.run({ health: health(0), payload: null, tunnelUp: false });
    assert.equal(byName(checks, 'no_other_vpn')?.ok, false);
    assert.match(byName(checks, 'no_other_vpn')?.detail ?? '', /route 0\.0\.0\.0\/1 via tun7/);
    const clean = new SystemPreflight({
      now: () => NOW,
      tunnels: async () => ({ interfaces: [], routes: [] }),
    });
    const ok = await clean.run({ health: health(0), payload: null, tunnelUp: false });
    assert.equal(byName(ok, 'no_other_vpn')?.ok, true);
  });
});
