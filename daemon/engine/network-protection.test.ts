// Network protection inside the connect sequence, against the real backend (fakes only for the TLS
// proxy and OpenVPN, as in connect.test.ts): the policy's DNS arrives in the bootstrap and goes on
// the tunnel link; the kill switch is in before the knock; a leak found mid-session ends it with
// VIW_E_LEAK, holds the switch, restores DNS and reaches the backend's audit stream, signed by the
// device; a captive portal stops the connect before anything is knocked. The kill switch driver
// records (the real nft: datapath/killswitch tests and the lab); DNS is the real file method on a
// real file; the kernel's routing answer is scripted (the lab injects real routes).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../core/audit/event.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { ctxOf } from '../../server/testing/identity-fixtures.js';
import { DnsStateStore } from '../datapath/dns/dns-state.js';
import { FileDns } from '../datapath/dns/file-dns.js';
import type { KillSwitchPlan } from '../datapath/killswitch/ruleset.js';
import { type BackendSession, startBackendSession } from '../testing/backend-session.js';
import type { KillSwitchDriver } from './network-guard.js';

const PASSWORD = 'hana correct horse battery 5';
const LAN_RESOLV = 'nameserver 192.168.77.1\nsearch home.example\n';
const VIRTUAL_IP = '10.8.0.6'; // the fake OpenVPN's

class RecordingSwitch implements KillSwitchDriver {
  table: KillSwitchPlan | null = null;
  /** How many knocks had been sent when the switch went in. */
  knocksAtInstall: number[] = [];
  constructor(private readonly knocks: () => number) {}
  async install(plan: KillSwitchPlan): Promise<void> {
    this.knocksAtInstall.push(this.knocks());
    this.table = plan;
  }
  async remove(): Promise<void> {
    this.table = null;
  }
  async installed(): Promise<boolean> {
    return this.table !== null;
  }
}

let b: BackendSession;
let ks: RecordingSwitch;
let resolvConf: string;
let portal: Server;
let portalMode: 'open' | 'portal' = 'open';
/** The kernel's answer for each probe address; `outside` plays an injected route. */
let routeOf: (ip: string) => string = () => VIRTUAL_IP;

const knocks = () =>
  b.d
    .logText()
    .split('\n')
    .filter((l) => l.includes('spa.sent ok')).length;

async function until(pred: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  portal = createServer((_req, res) => {
    if (portalMode === 'open') res.writeHead(204).end();
    else res.writeHead(302, { location: 'http://portal.cafe.example/' }).end();
  });
  await new Promise<void>((r) => portal.listen(0, '127.0.0.1', r));
  const probeUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}/generate_204`;
  b = await startBackendSession('hana', PASSWORD, {
    server: { dns: { servers: ['10.233.9.53'], searchDomains: ['corp.example'] } },
    network: (stateDir) => {
      resolvConf = join(stateDir, '..', 'resolv.conf');
      writeFileSync(resolvConf, LAN_RESOLV, { mode: 0o644 });
      ks = new RecordingSwitch(() => knocks());
      return {
        killSwitch: ks,
        dns: new FileDns({ state: new DnsStateStore(stateDir), path: resolvConf }),
        tunnelInterface: 'viworks0',
        leakCheckIntervalS: 1,
        sourceAddress: async (ip) => routeOf(ip),
        captivePortal: { url: probeUrl },
      };
    },
  });
  await b.enrollWithToken(PASSWORD);
});
after(async () => {
  await b?.stop();
  portal?.close();
});

describe('network protection in the connect sequence', () => {
  it('connected: the switch went in before the knock, the pushed DNS is on the tunnel link', async () => {
    await b.login(PASSWORD);
    const before = knocks();
    assert.equal((await b.d.client.connect()).state, 'connected');
    assert.deepEqual(ks.knocksAtInstall, [before], 'installed before the first knock');
    assert.deepEqual(ks.table?.gateway, { address: '127.0.0.1', spaPort: 62201, tlsPort: 443 });
    assert.equal(ks.table?.tunnelInterface, 'viworks0');
    assert.equal(
      readFileSync(resolvConf, 'utf8'),
      '# Written by viworksd for the VPN session; the previous file comes back on disconnect.\n' +
        'nameserver 10.233.9.53\nsearch corp.example\n',
    );
    const s = await b.d.client.status();
    assert.deepEqual(s.network.dns, {
      method: 'file',
      servers: ['10.233.9.53'],
      search_domains: ['corp.example'],
      interface: 'viworks0',
    });
    assert.equal(s.network.kill_switch.active, true);
    assert.equal(s.network.kill_switch.mode, 'session');
    assert.ok((s.network.leak_check?.checks ?? 0) >= 1, 'the first round ran before `connected`');
    assert.equal(s.network.leak_check?.leak, null);
    assert.deepEqual(await b.d.client.killSwitch(), s.network.kill_switch);

    await b.d.client.disconnect();
    assert.equal(ks.table, null, 'a user disconnect removes it (mode session)');
    assert.equal(readFileSync(resolvConf, 'utf8'), LAN_RESOLV, 'byte for byte');
  });

  it('a leak mid-session: VIW_E_LEAK, the switch held, DNS restored, the event in the audit', async () => {
    await b.login(PASSWORD);
    await b.d.client.connect();
    const sessionId = (await b.d.client.status()).session?.session_id;
    routeOf = (ip) => (ip === '1.1.1.1' ? '192.168.77.20' : VIRTUAL_IP);
    try {
      await until(async () => (await b.d.client.status()).state === 'error', 'the leak to end the session');
    } finally {
      routeOf = () => VIRTUAL_IP;
    }
    const s = await b.d.client.status();
    assert.equal(s.last_error?.code, 'VIW_E_LEAK');
    assert.ok(ks.table, 'fail closed: the switch stays');
    assert.equal(s.network.kill_switch.holding, 'after_failure');
    assert.equal(readFileSync(resolvConf, 'utf8'), LAN_RESOLV);

    const events = async () =>
      (await ctxOf(b.ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
        .map((e) => JSON.parse(e.event) as AuditEvent)
        .filter((e) => e.action === 'client.route_leak_detected');
    await until(async () => (await events()).length === 1, 'the event in the audit stream');
    const [event] = await events();
    assert.match(JSON.stringify(event), /traffic_route_outside_tunnel/);
    assert.ok(sessionId);

    await b.d.client.disconnect();
    assert.equal(ks.table, null, 'an explicit disconnect releases it');
    assert.equal((await b.d.client.killSwitch()).holding, null);
  });

  it('a captive portal stops the connect before anything is knocked or installed', async () => {
    await b.login(PASSWORD);
    portalMode = 'portal';
    const before = knocks();
    const installs = ks.knocksAtInstall.length;
    try {
      await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, 'VIW_E_CAPTIVE_PORTAL'));
    } finally {
      portalMode = 'open';
    }
    assert.equal(knocks(), before);
    assert.equal(ks.knocksAtInstall.length, installs);
    const s = await b.d.client.status();
    assert.match(s.last_error?.hint ?? '', /sign in/i);
  });

  it('kill switch modes over the local API: off, always (standby), session; persisted', async () => {
    assert.equal((await b.d.client.setKillSwitch({ mode: 'always' })).holding, 'always');
    assert.equal(ks.table?.gateway, null, 'standby: no gateway');
    const off = await b.d.client.setKillSwitch({ mode: 'off', allow_lan: true });
    assert.deepEqual([off.mode, off.active, off.allow_lan], ['off', false, true]);
    assert.equal(ks.table, null);
    await b.d.client.setKillSwitch({ mode: 'session', allow_lan: false });
    const file = JSON.parse(readFileSync(join(b.d.stateDir, 'kill-switch.json'), 'utf8'));
    assert.deepEqual(file, { v: 1, mode: 'session', allow_lan: false });
    await assert.rejects(b.d.client.setKillSwitch({ mode: 'sometimes' as 'off' }), (e) =>
      isViworksError(e, 'VIW_E_VALIDATION'),
    );
  });
});
