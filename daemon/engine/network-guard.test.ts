// The network guard's own decisions: when the kill switch goes in, stays, is held and goes, what
// survives a daemon restart, and the pushed DNS restored byte for byte. The kill switch driver here
// records what it is asked (the real nft is tested in datapath/killswitch and in the lab); the DNS
// driver is the real file method on a real file in a temporary directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { NetworkProtection } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { DnsStateStore } from '../datapath/dns/dns-state.js';
import { FileDns } from '../datapath/dns/file-dns.js';
import type { KillSwitchPlan } from '../datapath/killswitch/ruleset.js';
import { DaemonLog } from '../log/daemon-log.js';
import { type KillSwitchDriver, NetworkGuard, type SessionTargets } from './network-guard.js';

class RecordingSwitch implements KillSwitchDriver {
  table: KillSwitchPlan | null = null;
  readonly calls: string[] = [];
  async install(plan: KillSwitchPlan): Promise<void> {
    this.calls.push(plan.gateway ? 'install:session' : 'install:standby');
    this.table = plan;
  }
  async remove(): Promise<void> {
    this.calls.push('remove');
    this.table = null;
  }
  async installed(): Promise<boolean> {
    return this.table !== null;
  }
}

const TARGETS: SessionTargets = {
  backend: { addresses: ['10.231.1.10'], port: 8443 },
  gateway: { address: '10.231.1.6', spaPort: 62201, tlsPort: 443 },
};
const ORIGINAL = '# the LAN resolver\nnameserver 10.231.1.1\noptions edns0\n';
const PUSHED = {
  servers: ['10.233.1.53'],
  searchDomains: ['corp.example'],
  interfaceName: 'viworks0',
  fullTunnel: true,
};

describe('network guard', () => {
  let dir: string;
  let resolv: string;
  let ks: RecordingSwitch;
  let published: NetworkProtection[];

  const guard = (over: { killSwitch?: KillSwitchDriver | null; unmanaged?: boolean } = {}) =>
    new NetworkGuard({
      stateDir: dir,
      killSwitch: over.killSwitch === undefined ? ks : over.killSwitch,
      dns: new FileDns({ state: new DnsStateStore(dir), path: resolv }),
      tunnelInterface: 'viworks0',
      log: new DaemonLog({ minLevel: 'error', sink: () => undefined }),
      ...(over.unmanaged ? { unmanaged: true } : {}),
      publish: (n) => published.push(n),
    });
  const standby = async () => ({
    backendAddresses: ['10.231.1.10'],
    backendPort: 8443,
    captiveProbe: { addresses: ['10.231.1.1'], port: 8081 },
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-guard-'));
    resolv = join(dir, 'resolv.conf');
    writeFileSync(resolv, ORIGINAL, { mode: 0o644 });
    ks = new RecordingSwitch();
    published = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('session mode (the default): in before the knock, out on a user disconnect', async () => {
    const g = guard();
    await g.init(standby);
    assert.equal(g.info().mode, 'session');
    assert.equal(g.info().active, false);
    await g.protectSession(TARGETS, false);
    assert.deepEqual(ks.table, { ...TARGETS, tunnelInterface: 'viworks0', allowLan: false });
    assert.equal(g.info().active, true);
    await g.endSession(false);
    assert.equal(ks.table, null);
    assert.deepEqual(g.info(), {
      mode: 'session',
      allow_lan: false,
      active: false,
      holding: null,
      available: true,
      required: false,
    });
    assert.equal(published.at(-1)?.kill_switch.active, false, 'the Status hears of it');
  });

  it('a session lost without the user holds the switch until an explicit disconnect', async () => {
    const g = guard();
    await g.init(standby);
    await g.protectSession(TARGETS, false);
    await g.endSession(true);
    assert.ok(ks.table, 'still in place');
    assert.equal(g.info().holding, 'after_failure');
    await g.release();
    assert.equal(ks.table, null);
    assert.equal(g.info().holding, null);
  });

  it('a daemon restart finds a switch and no session: removed; DNS of the dead session restored', async () => {
    const first = guard();
    await first.init(standby);
    await first.protectSession(TARGETS, false);
    await first.tunnelUp(PUSHED);
    assert.match(readFileSync(resolv, 'utf8'), /nameserver 10\.233\.1\.53/);
    // The daemon dies here (kill -9): nothing of `first` runs again; the kernel keeps the table.
    const second = guard();
    await second.init(standby);
    assert.equal(ks.table, null);
    assert.equal(readFileSync(resolv, 'utf8'), ORIGINAL, 'byte for byte');
    assert.equal(statSync(resolv).mode & 0o777, 0o644);
  });

  it('always: standby between sessions (backend and resolvers only), kept across restarts and stops', async () => {
    const g = guard();
    await g.init(standby);
    await g.setMode({ mode: 'always' });
    assert.equal(ks.table?.gateway, null);
    assert.deepEqual(ks.table?.resolvers, ['10.231.1.1'], 'the system resolver, for a login');
    assert.deepEqual(ks.table?.backend, { addresses: ['10.231.1.10'], port: 8443 });
    assert.deepEqual(ks.table?.captiveProbe, { addresses: ['10.231.1.1'], port: 8081 }, 'portals still seen');
    assert.equal(g.info().holding, 'always');
    await g.protectSession(TARGETS, false);
    assert.ok(ks.table?.gateway, 'the session switch replaces the standby one');
    assert.equal(ks.table?.resolvers, undefined, 'no resolver outside the tunnel in a session');
    assert.equal(ks.table?.captiveProbe, undefined, 'no probe target beside a session');
    await g.endSession(false);
    assert.equal(ks.table?.gateway, null, 'back to standby');
    assert.deepEqual(ks.table?.captiveProbe, { addresses: ['10.231.1.1'], port: 8081 });
    await g.shutdown();
    assert.ok(ks.table, 'a daemon stop keeps it');
    const again = guard();
    await again.init(standby);
    assert.equal(again.info().mode, 'always', 'the mode persisted');
    assert.equal(ks.table?.gateway, null);
  });

  it('off: nothing installed; a policy that requires the switch is refused; mid-session off refused', async () => {
    const g = guard();
    await g.init(standby);
    await g.setMode({ mode: 'off' });
    await g.protectSession(TARGETS, false);
    assert.equal(ks.table, null);
    await g.endSession(false);
    await assert.rejects(g.protectSession(TARGETS, true), (e) => isViworksError(e, 'VIW_E_KILL_SWITCH'));
    await g.setMode({ mode: 'session' });
    await g.protectSession(TARGETS, true);
    assert.equal(g.info().required, true);
    await assert.rejects(g.setMode({ mode: 'off' }), (e) => isViworksError(e, 'VIW_E_STATE'));
    assert.ok(ks.table, 'still protected');
    await g.setMode({ mode: 'session', allow_lan: true });
    assert.equal((ks.table as KillSwitchPlan | null)?.allowLan, true, 'LAN access changes the live switch');
  });

  it('fails closed where no kill switch can exist, unless turned off', async () => {
    const g = guard({ killSwitch: null });
    await g.init(standby);
    assert.equal(g.info().available, false);
    await assert.rejects(g.protectSession(TARGETS, false), (e) => isViworksError(e, 'VIW_E_KILL_SWITCH'));
    await assert.rejects(g.setMode({ mode: 'always' }), (e) => isViworksError(e, 'VIW_E_KILL_SWITCH'));
    await g.setMode({ mode: 'off' });
    await g.protectSession(TARGETS, false);
  });

  it('a damaged settings file keeps the default protection', async () => {
    writeFileSync(join(dir, 'kill-switch.json'), '{"v":1,"mode":"of');
    const g = guard();
    await g.init(standby);
    assert.equal(g.info().mode, 'session');
    writeFileSync(join(dir, 'kill-switch.json'), '{"v":1,"mode":"off","allow_lan":false,"x":1}');
    await g.init(standby);
    assert.equal(g.info().mode, 'session', 'unknown fields are not a valid file');
  });

  it('pushed DNS on tunnel up, the original back on tunnel down, the Status says how', async () => {
    const g = guard();
    await g.init(standby);
    await g.protectSession(TARGETS, false);
    await g.tunnelUp(PUSHED);
    assert.deepEqual(g.network().dns, {
      method: 'file',
      servers: ['10.233.1.53'],
      search_domains: ['corp.example'],
      interface: 'viworks0',
    });
    assert.deepEqual(await g.serversInUse(), ['10.233.1.53']);
    await g.tunnelDown();
    assert.equal(readFileSync(resolv, 'utf8'), ORIGINAL);
    assert.equal(g.network().dns, null);
    await g.tunnelUp({ ...PUSHED, servers: [] });
    assert.equal(readFileSync(resolv, 'utf8'), ORIGINAL, 'nothing pushed: nothing written');
  });

  it('hostile pushed DNS is refused before anything is written', async () => {
    const g = guard();
    await g.init(standby);
    for (const bad of [
      { ...PUSHED, searchDomains: ['corp.example\noptions ndots:15'] },
      { ...PUSHED, servers: ['10.0.0.1 nameserver 6.6.6.6'] },
      { ...PUSHED, interfaceName: 'viworks0; rm' },
    ]) {
      await assert.rejects(g.tunnelUp(bad), (e) => isViworksError(e, 'VIW_E_VALIDATION'));
      assert.equal(readFileSync(resolv, 'utf8'), ORIGINAL);
    }
  });

  it('unmanaged (tests, unprivileged): mode off, nothing touched, changes refused', async () => {
    const g = guard({ unmanaged: true });
    await g.init(standby);
    assert.equal(g.info().mode, 'off');
    await g.protectSession(TARGETS, false);
    assert.deepEqual(ks.calls, []);
    await assert.rejects(g.setMode({ mode: 'session' }), (e) => isViworksError(e, 'VIW_E_KILL_SWITCH'));
    await assert.rejects(g.protectSession(TARGETS, true), (e) => isViworksError(e, 'VIW_E_KILL_SWITCH'));
  });
});
