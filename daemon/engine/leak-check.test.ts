// The leak checks' verdicts for each way a session can leak (scripted probes: the engine's own
// logic), the kernel's routing answer read for real (kernelSourceAddress), and the monitor's rounds.
// The lab (scripts/lab/e2e/network-protection.e2e.test.ts) injects real leaks into a real session.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernelSourceAddress } from '../datapath/source-address.js';
import { findLeak, type LeakExpectations, LeakMonitor, type LeakProbes } from './leak-check.js';

const VIP = '10.232.1.6';
const EXPECT: LeakExpectations = {
  pushedDns: ['10.233.1.53'],
  virtualIp: VIP,
  fullTunnel: true,
  probeAddresses: ['1.1.1.1', '192.0.2.1'],
  killSwitch: true,
};

function probes(
  over: Partial<{ servers: string[]; routes: Record<string, string | null>; ks: boolean }> = {},
) {
  const asked: string[] = [];
  const p: LeakProbes = {
    serversInUse: async () => over.servers ?? ['10.233.1.53'],
    sourceAddress: async (ip) => {
      asked.push(ip);
      return over.routes && ip in over.routes ? (over.routes[ip] ?? null) : VIP;
    },
    killSwitchInstalled: async () => over.ks ?? true,
  };
  return { p, asked };
}

describe('leak checks', () => {
  it('a healthy full tunnel: nothing found; every resolver and probe asked', async () => {
    const { p, asked } = probes();
    assert.equal(await findLeak(EXPECT, p), null);
    assert.deepEqual(asked, ['10.233.1.53', '1.1.1.1', '192.0.2.1']);
  });

  it('names each leak', async () => {
    const cases: Array<[string, Parameters<typeof probes>[0], string]> = [
      ['a LAN resolver swapped in', { servers: ['10.231.1.1'] }, 'resolver_changed'],
      ['a LAN resolver added', { servers: ['10.233.1.53', '10.231.1.1'] }, 'resolver_changed'],
      ['no resolver at all', { servers: [] }, 'resolver_changed'],
      [
        'the pushed resolver routed outside',
        { routes: { '10.233.1.53': '10.231.1.2' } },
        'dns_route_outside_tunnel',
      ],
      ['a /1 route gone', { routes: { '1.1.1.1': '10.231.1.2' } }, 'traffic_route_outside_tunnel'],
      ['the kill switch removed', { ks: false }, 'kill_switch_missing'],
    ];
    for (const [why, over, reason] of cases) {
      assert.equal((await findLeak(EXPECT, probes(over).p))?.reason, reason, why);
    }
  });

  it('asks only what the session promises', async () => {
    const split = { ...EXPECT, fullTunnel: false, pushedDns: [], killSwitch: false };
    assert.equal(
      await findLeak(
        split,
        probes({ servers: ['10.231.1.1'], routes: { '1.1.1.1': '10.231.1.2' }, ks: false }).p,
      ),
      null,
      'a split tunnel without pushed DNS or kill switch promises none of them',
    );
    assert.equal(
      await findLeak(EXPECT, probes({ routes: { '1.1.1.1': null } }).p),
      null,
      'no route at all is not a leak',
    );
  });

  it("reads the kernel's routing decision without sending anything", async () => {
    assert.equal(await kernelSourceAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(await kernelSourceAddress('::1'), '::1');
    assert.equal(await kernelSourceAddress('not-an-ip'), null);
  });

  it('the monitor: a first round awaited, then rounds until a leak, which stops it', async () => {
    let servers = ['10.233.1.53'];
    const rounds: Array<string | null> = [];
    let leak: string | null = null;
    const p: LeakProbes = {
      serversInUse: async () => servers,
      sourceAddress: async () => VIP,
      killSwitchInstalled: async () => true,
    };
    const m = new LeakMonitor({
      expectations: EXPECT,
      probes: p,
      intervalS: 0.02,
      onCheck: (info) => rounds.push(info.leak),
      onLeak: (f) => {
        leak = f.reason;
      },
    });
    assert.equal(await m.start(), null);
    await new Promise((r) => setTimeout(r, 70));
    servers = ['10.231.1.1'];
    const deadline = Date.now() + 2000;
    while (!leak && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(leak, 'resolver_changed');
    const n = rounds.length;
    assert.ok(n >= 3, `several rounds ran (${n})`);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(rounds.length, n, 'no round after the leak');
    assert.equal(rounds.at(-1), 'resolver_changed');
  });

  it('a probe that cannot run is retried, not taken for a leak', async () => {
    const errors: unknown[] = [];
    const m = new LeakMonitor({
      expectations: EXPECT,
      probes: {
        serversInUse: async () => {
          throw new Error('resolvectl timed out');
        },
        sourceAddress: async () => VIP,
        killSwitchInstalled: async () => true,
      },
      intervalS: 60,
      onCheck: () => undefined,
      onLeak: () => assert.fail('not a leak'),
      onError: (e) => errors.push(e),
    });
    assert.equal(await m.start(), null);
    m.stop();
    assert.equal(errors.length, 1);
  });
});
