// Preflight verdicts: clock skew against the backend's Date header (limit 60 s), a foreign tunnel
// interface, the bootstrap's time-zone policy, and the error a failed preflight turns into.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BootstrapPayload } from '../../core/bootstrap/payload.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { preflightError, SystemPreflight } from './preflight.js';

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
});
