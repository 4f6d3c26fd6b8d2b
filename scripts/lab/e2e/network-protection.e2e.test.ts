// Issue #12 in the namespace lab, on real programs: the policy's resolver (Debian's dnsmasq behind
// the gateway) and a "LAN" resolver (dnsmasq on the router) answer the canary name differently;
// the client's resolver file is the one `ip netns exec` mounts over /etc/resolv.conf; the kill
// switch is the kernel's nftables table; tcpdump on the router records what the client sends.
//   - a captive portal stops the connect before anything is knocked;
//   - connected, the canary resolves through the tunnel; the router's service is out of reach;
//   - kill -9 of OpenVPN: the resolver file is byte-identical to the original during the outage,
//     nothing leaves but the knock/TLS to the gateway and HTTPS to the backend, the router's
//     service stays unreachable, and the session comes back;
//   - kill -9 of viworksd: the switch holds while it is dead; its restart restores the resolver
//     file byte for byte and removes the switch (no session to resume);
//   - a route or a resolver changed mid-session is found within the probe interval, the session
//     ends (VIW_E_LEAK, the switch held until disconnect) and the event reaches the audit stream;
//   - mode always holds across a daemon restart, with login and connect still possible.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Status } from '../../../core/api/local.js';
import { LocalClient } from '../../../core/localclient/index.js';
import { clientEnv } from '../driver.js';
import { driverStep, labDown, labUp, startDaemon } from '../lab.js';
import { DNSMASQ } from '../network-services.js';
import { type LabPlan, labPlan } from '../plan.js';
import { repoPath } from '../repo.js';
import { clientResolvConf, pidsNamed } from '../topology.js';
import {
  inHost,
  needLabPeers,
  packetsFromPcap,
  probeTcp,
  startCapture,
  viworksIn,
  waitUntil,
} from './helpers.js';

const LAB_ID = 204;
const SPA_PORT = 62201;
const peers = needLabPeers({
  binaries: ['/usr/sbin/nft', '/usr/bin/tcpdump', DNSMASQ],
  apt: 'nftables tcpdump dnsmasq-base',
});

const self = { argv: [process.execPath, repoPath('dist/scripts/lab/cli.js')] };
let plan: LabPlan;
let local: LocalClient;
let work: string;
let original: Buffer;

async function connect(): Promise<{ code: number; json: Record<string, unknown> }> {
  return JSON.parse(await driverStep(plan, self, 'connect-demo')) as {
    code: number;
    json: Record<string, unknown>;
  };
}

const resolvConf = () => readFileSync(plan.dns.clientResolvConf);
const canary = async () =>
  (await inHost(plan, 'client', ['/usr/bin/getent', 'hosts', plan.dns.canaryName])).stdout
    .trim()
    .split(/\s+/)[0];
const switchInKernel = async () =>
  (await inHost(plan, 'client', ['/usr/sbin/nft', 'list', 'table', 'inet', 'viworks'])).code === 0;
/** The router-side service (the captive probe target): reachable only outside any switch or tunnel. */
const routerService = () => probeTcp(plan, 'client', plan.routerService.host, plan.routerService.port);
const status = (): Promise<Status> => local.status();

/** viworksd sets its process title, so its comm is `viworksd`. */
const daemonPids = () => pidsNamed(plan.client.ns, 'viworksd');

/** Only the gateway's knock/TLS ports and the backend's HTTPS port: the kill switch's allowance. */
function outsideAllowance(pcap: string): string[] {
  const allowed = (p: { dst: string; proto: number; dport: number | null }) =>
    (p.dst === plan.gateway.address && p.proto === 17 && p.dport === SPA_PORT) ||
    (p.dst === plan.gateway.address && p.proto === 6 && p.dport === 443) ||
    (p.dst === plan.backend.address && p.proto === 6 && p.dport === plan.backendPort);
  return packetsFromPcap(pcap)
    .filter((p) => (p.family === 4 ? p.src === plan.client.address : p.src.startsWith('fe80')))
    .filter((p) => !(p.family === 6 && p.proto === 58 && p.icmp6Type !== null && p.icmp6Type >= 133))
    .filter((p) => !allowed(p))
    .map((p) => `${p.family === 4 ? 'ip' : 'ip6'} ${p.src} → ${p.dst} proto ${p.proto} port ${p.dport}`);
}

/** Waits until the backend's audit stream holds one more `action` event than `before`. */
async function auditedOnce(action: string, before: number): Promise<void> {
  await waitUntil(
    `${action} in the audit stream`,
    async () => (await auditCount(action)) === before + 1,
    15_000,
    500,
  );
}

async function auditCount(action: string): Promise<number> {
  const q = await viworksIn(plan, ['admin', 'audit', 'query', '--action', action]);
  return q.code === 0 ? (q.json.events as unknown[]).length : -1;
}

describe('network protection in the lab (DNS, kill switch, leaks, captive portal)', {
  skip: peers.skip,
}, () => {
  before(async () => {
    plan = labPlan(LAB_ID);
    work = mkdtempSync(join(tmpdir(), 'viw-e2e-net-'));
    await labUp(LAB_ID, self, (m) => process.stderr.write(`lab: ${m}\n`));
    local = new LocalClient({ socketPath: clientEnv(plan).VIWORKSD_SOCKET as string });
    await driverStep(plan, self, 'enroll-demo');
    original = resolvConf();
    assert.equal(original.toString(), clientResolvConf(plan));
  });
  after(async () => {
    await labDown(LAB_ID);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('before connecting: the LAN resolver answers, the router service is reachable', async () => {
    assert.equal(await canary(), plan.dns.lanAnswer);
    assert.equal(await routerService(), 'open');
    assert.equal(await switchInKernel(), false);
    const ks = (await status()).network.kill_switch;
    assert.deepEqual([ks.mode, ks.available, ks.active], ['session', true, false]);
  });

  it('connected: the tunnel resolver answers the canary; the switch is in; the router service is out of reach', async () => {
    const r = await connect();
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.equal(await canary(), plan.dns.tunnelAnswer);
    const s = await status();
    assert.deepEqual(s.network.dns?.servers, [plan.dns.tunnelResolver]);
    assert.deepEqual(s.network.dns?.search_domains, [plan.dns.searchDomain]);
    assert.equal(s.network.dns?.interface, 'viworks0');
    assert.equal(s.network.kill_switch.active, true);
    assert.ok(await switchInKernel());
    assert.notEqual(await routerService(), 'open');
    const shown = await viworksIn(plan, ['killswitch', 'status']);
    assert.equal(shown.code, 0, JSON.stringify(shown));
  });

  it('kill -9 OpenVPN: DNS restored byte for byte, only gateway/backend traffic leaves, the session comes back', async () => {
    const pcap = join(work, 'openvpn-outage.pcap');
    const capture = await startCapture(plan, plan.client.routerIf, pcap);
    try {
      const [ovpn] = await pidsNamed(plan.client.ns, 'openvpn');
      assert.ok(ovpn, 'OpenVPN runs');
      process.kill(ovpn, 'SIGKILL');
      await waitUntil(
        'the original resolver file back',
        async () => resolvConf().equals(original),
        10_000,
        20,
      );
      // The outage: the tunnel is gone, the switch is not.
      assert.ok(await switchInKernel());
      assert.notEqual(await routerService(), 'open');
      await waitUntil(
        'the session back',
        async () => (await status()).state === 'connected' && (await status()).network.dns !== null,
        30_000,
        100,
      );
    } finally {
      await capture.stop();
    }
    assert.deepEqual(outsideAllowance(pcap), [], 'nothing else left the client during the outage');
    assert.equal(await canary(), plan.dns.tunnelAnswer);
  });

  it('kill -9 viworksd: the switch holds while it is dead; a restart restores DNS and removes it', async () => {
    const pcap = join(work, 'daemon-outage.pcap');
    const capture = await startCapture(plan, plan.client.routerIf, pcap);
    try {
      for (const pid of await daemonPids()) process.kill(pid, 'SIGKILL');
      await waitUntil(
        'OpenVPN to end with its proxy',
        async () => (await pidsNamed(plan.client.ns, 'openvpn')).length === 0,
        20_000,
        100,
      );
      assert.ok(await switchInKernel(), 'the kernel keeps the switch');
      assert.notEqual(await routerService(), 'open');
      assert.notEqual(await canary(), plan.dns.lanAnswer, 'the LAN resolver is not asked');
    } finally {
      await capture.stop();
    }
    assert.deepEqual(outsideAllowance(pcap), []);
    await startDaemon(plan);
    await waitUntil(
      'the restarted daemon',
      async () => (await status().catch(() => null))?.state === 'enrolled',
      20_000,
      100,
    );
    assert.ok(resolvConf().equals(original), 'byte for byte');
    assert.equal(await switchInKernel(), false, 'no session to resume: removed');
    assert.equal(await routerService(), 'open');
    assert.equal(await canary(), plan.dns.lanAnswer);
  });

  it('a route injected mid-session: found within the interval, torn down, held until disconnect, audited', async () => {
    assert.equal((await connect()).code, 0);
    const before = await auditCount('client.route_leak_detected');
    const t0 = performance.now();
    const inject = ['/usr/sbin/ip', 'route', 'add', '1.1.1.1/32', 'via', plan.client.routerAddress];
    assert.equal((await inHost(plan, 'client', inject)).code, 0);
    try {
      await waitUntil(
        'the leak to end the session',
        async () => (await status()).state === 'error',
        10_000,
        50,
      );
      process.stderr.write(`figure: route_leak_teardown_ms = ${Math.round(performance.now() - t0)}\n`);
    } finally {
      await inHost(plan, 'client', ['/usr/sbin/ip', 'route', 'del', '1.1.1.1/32']);
    }
    const s = await status();
    assert.equal(s.last_error?.code, 'VIW_E_LEAK');
    assert.equal(s.network.kill_switch.holding, 'after_failure');
    assert.ok(await switchInKernel(), 'fail closed');
    assert.ok(resolvConf().equals(original));
    await auditedOnce('client.route_leak_detected', before);
    assert.equal((await viworksIn(plan, ['disconnect'])).code, 0);
    assert.equal(await switchInKernel(), false);
    assert.equal(await routerService(), 'open', 'reachable again after the disconnect');
  });

  it('a resolver swapped mid-session: found, torn down, the original restored, audited as a DNS leak', async () => {
    assert.equal((await connect()).code, 0);
    const before = await auditCount('client.dns_leak_detected');
    writeFileSync(plan.dns.clientResolvConf, `nameserver ${plan.dns.lanResolver}\n`);
    await waitUntil(
      'the leak to end the session',
      async () => (await status()).state === 'error',
      10_000,
      50,
    );
    assert.equal((await status()).last_error?.code, 'VIW_E_LEAK');
    assert.ok(resolvConf().equals(original), 'what was there before the session, not the injected file');
    await auditedOnce('client.dns_leak_detected', before);
    assert.equal((await viworksIn(plan, ['disconnect'])).code, 0);
  });

  it('always: nothing outside the tunnel between sessions, across a daemon restart; login and connect still work', async () => {
    assert.equal((await viworksIn(plan, ['killswitch', 'always'])).code, 0);
    assert.ok(await switchInKernel());
    assert.notEqual(await routerService(), 'open');
    const pids = await daemonPids();
    assert.equal(pids.length, 1, 'one viworksd');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitUntil('viworksd gone', async () => (await daemonPids()).length === 0, 5_000, 20);
    await startDaemon(plan);
    await waitUntil(
      'the restarted daemon',
      async () => (await status().catch(() => null))?.state === 'enrolled',
      20_000,
      100,
    );
    assert.ok(await switchInKernel(), 'always survives a restart');
    assert.equal((await status()).network.kill_switch.holding, 'always');
    assert.notEqual(await routerService(), 'open');
    // A portal is still seen: the standby switch lets the probe's plain HTTP out (and nothing else).
    writeFileSync(plan.captive.flagFile, '');
    try {
      const refused = await connect();
      assert.equal((refused.json as { error?: { code?: string } }).error?.code, 'VIW_E_CAPTIVE_PORTAL');
    } finally {
      rmSync(plan.captive.flagFile, { force: true });
    }
    assert.equal((await connect()).code, 0, 'the backend and the gateway stay reachable for a login');
    assert.equal(await canary(), plan.dns.tunnelAnswer);
    assert.equal((await viworksIn(plan, ['disconnect'])).code, 0);
    assert.ok(resolvConf().equals(original), 'a plain disconnect restores it byte for byte');
    assert.ok(await switchInKernel(), 'back to the standby switch');
    assert.equal((await viworksIn(plan, ['killswitch', 'off'])).code, 0);
    assert.equal(await switchInKernel(), false);
    assert.equal(await routerService(), 'open');
  });
  it("last, a captive portal (the demo's first connect changed its password): told clearly, nothing knocked, no switch installed", async () => {
    writeFileSync(plan.captive.flagFile, '');
    const pcap = join(work, 'captive.pcap');
    const capture = await startCapture(plan, plan.client.routerIf, pcap, ['udp', 'port', String(SPA_PORT)]);
    try {
      const r = await connect();
      assert.notEqual(r.code, 0);
      assert.equal(
        (r.json as { error?: { code?: string } }).error?.code,
        'VIW_E_CAPTIVE_PORTAL',
        JSON.stringify(r.json),
      );
    } finally {
      await capture.stop();
      rmSync(plan.captive.flagFile, { force: true });
    }
    assert.equal(packetsFromPcap(pcap).length, 0, 'no knock');
    assert.equal(await switchInKernel(), false);
    assert.match((await status()).last_error?.hint ?? '', /sign in/i);
  });
});
