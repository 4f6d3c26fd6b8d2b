// Per-session forwarding with the real kernel: viworks-gw (as sshd would run it) in a gateway
// namespace this test makes, with the node's iptables baseline loaded and nft applying its table.
//
//   client ns  vc<tag>: 10.8.N.2 (session A), .3 (session B), .4 (no session)
//        │  veth — the gateway end is named tun<tag>, so it is "the tunnel" (iifname tun*)
//   gateway ns tun<tag>: 10.8.N.1/24          vt<tag>: 10.50.N.1, 10.60.N.1, 10.70.N.1
//                                                  │  veth
//   target ns                                  vx<tag>: 10.50.N.10, 10.60.N.10, 10.70.N.53
//                                              (TCP listeners on :8080 and :53)
//
// OpenVPN is not needed here: it only decides which source address a session's packets carry
// (the address the node pinned), which the client namespace's addresses stand in for.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { HealthResult, SessionFilterResult } from '../core/gateway/control.js';
import { IP, listNamespaces, type NetnsEnd, NetnsPair, run, runOk } from '../scripts/testkit/netns.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { FORWARD_TABLE, sessionChain } from './firewall/forward-table.js';
import { DEFAULT_NFT } from './firewall/nft.js';
import { renderIptablesRules, VIWORKS_FORWARD_JUMP } from './render/iptables-rules.js';
import { sampleFacts, sampleSettings } from './render/test-fixtures.js';
import { writeApplied } from './state/node-state.js';
import { callGw } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';
import { addTargetBehind, removeTarget } from './testing/target-network.js';

const IPTABLES = '/usr/sbin/iptables';
const RESTORE = '/usr/sbin/iptables-restore';
const peers = needPeers({
  binaries: [DEFAULT_NFT, IP, IPTABLES, RESTORE],
  root: true,
  apt: 'nftables iproute2 iptables',
});

const PORT = 8080;
const EXPIRES_AT = Math.floor(Date.now() / 1000) + 3600;

describe('per-session forwarding rules in the kernel', { skip: peers.skip, timeout: 180_000 }, () => {
  const n = randomInt(1, 250);
  const net = (a: number, host: number) => `10.${a}.${n}.${host}`;
  const sessionA = `s-${randomBytes(16).toString('hex')}`;
  const sessionB = `s-${randomBytes(16).toString('hex')}`;
  const settings = sampleSettings({
    vpn_network: `10.8.${n}.0/24`,
    push_routes: [`10.50.${n}.0/24`],
    push_dns: [net(70, 53)],
  });
  let lab: NetnsPair | undefined;
  let fx: NodeConfigFixture | undefined;
  let target: NetnsEnd | undefined;

  const gw = (command: string, stdin?: unknown) => callGw(lab!, lab!.gw, fx!.path, command, stdin);
  const filter = (session: string, networks: string[] | 'unrestricted', version: number) =>
    gw(`session_filter ${session}`, {
      policy: { policy_id: `p-${'e'.repeat(32)}`, version },
      networks,
      expires_at: EXPIRES_AT,
    });
  const from = (host: number, to: string, port = PORT) =>
    lab!.probeTcp(lab!.cl, to, port, { localAddress: net(8, host), timeoutMs: 1500 });
  const nft = (...args: string[]) => run([IP, 'netns', 'exec', lab!.gw.ns, DEFAULT_NFT, ...args]);
  const chainOf = async (session: string) =>
    (await nft('list', 'chain', 'inet', FORWARD_TABLE, sessionChain(session))).stdout.replace(
      /counter packets [0-9]+ bytes [0-9]+/g,
      'counter',
    );
  const ok = (r: Awaited<ReturnType<typeof gw>>) =>
    assert.equal(r.exit, 0, `${JSON.stringify(r.reply)}\n${r.raw.stderr}`);

  before(async () => {
    lab = await NetnsPair.create();
    const tag = lab.gw.ns.slice(-8);
    const tun = `tun${tag}`;
    const gwNs = lab.gw.ns;
    const clNs = lab.cl.ns;
    const ip = (...args: string[]) => runOk([IP, ...args]);
    // The gateway's end of the client link becomes "the tunnel".
    await ip('-n', gwNs, 'link', 'set', lab.gw.ifname, 'down');
    await ip('-n', gwNs, 'link', 'set', lab.gw.ifname, 'name', tun);
    await ip('-n', gwNs, 'link', 'set', tun, 'up');
    await ip('-n', gwNs, 'addr', 'add', `${net(8, 1)}/24`, 'dev', tun);
    for (const h of [2, 3, 4]) await ip('-n', clNs, 'addr', 'add', `${net(8, h)}/24`, 'dev', lab.cl.ifname);
    await ip('-n', clNs, 'route', 'add', 'default', 'via', net(8, 1));
    // The networks behind the gateway.
    target = await addTargetBehind(
      lab,
      [50, 60, 70].map((a) => ({ gateway: net(a, 1), target: net(a, a === 70 ? 53 : 10) })),
    );
    // The node's iptables baseline, as apply_config loads it (FORWARD DROP; VIWORKS_FORWARD wants
    // the forwarding table's mark).
    const rules = renderIptablesRules(settings, sampleFacts());
    const restored = await run([IP, 'netns', 'exec', gwNs, RESTORE, '-w'], { input: rules });
    assert.equal(restored.code, 0, restored.stderr);
    await runOk([IP, 'netns', 'exec', gwNs, IPTABLES, '-w', '-A', ...VIWORKS_FORWARD_JUMP]);
    await lab.listenTcp(target, '0.0.0.0', PORT);
    await lab.listenTcp(target, '0.0.0.0', 53);
    // A configured node without running apply_config (which would start the daemons).
    fx = createNodeConfig();
    writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings, services: {} });
  });

  after(async () => {
    const names = [lab?.gw.ns, lab?.cl.ns, target?.ns].filter((x): x is string => x !== undefined);
    // destroy() stops every process this test started (the target's listeners included, by PID).
    await lab?.destroy();
    await removeTarget(target);
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    assert.deepEqual(
      (await listNamespaces()).filter((x) => names.includes(x)),
      [],
      'namespaces left behind',
    );
  });

  test('a session without session_filter reaches the node push_routes only; no session, nothing', async () => {
    const created = await gw(`vpn_user_create ${sessionA}`, {
      push_routes: [],
      expires_at: EXPIRES_AT,
    });
    ok(created);
    assert.equal(await from(2, net(50, 10)), 'open');
    assert.equal(await from(2, net(60, 10)), 'timeout');
    assert.equal(await from(4, net(50, 10)), 'timeout', 'an address that is no session');
  });

  test('each session reaches its own networks only; DNS to the pushed resolver always', async () => {
    ok(await filter(sessionA, [`10.60.${n}.0/24`], 1));
    ok(await gw(`vpn_user_create ${sessionB}`, { push_routes: [], expires_at: EXPIRES_AT }));
    const b = await filter(sessionB, [`10.50.${n}.0/24`], 1);
    ok(b);
    assert.equal((b.reply.result as SessionFilterResult).address, net(8, 3));
    assert.equal(await from(2, net(60, 10)), 'open');
    assert.equal(await from(2, net(50, 10)), 'timeout');
    assert.equal(await from(3, net(50, 10)), 'open');
    assert.equal(await from(3, net(60, 10)), 'timeout');
    assert.equal(await from(2, net(70, 53), 53), 'open', 'DNS to the pushed resolver');
    assert.equal(await from(2, net(70, 53)), 'timeout', 'only DNS on the resolver');
    const h = (await gw('health')).reply.result as HealthResult;
    assert.equal(h.forwarding?.table_loaded, true);
    assert.deepEqual(
      h.forwarding?.sessions.map((s) => [s.session, s.address, s.policy?.version]),
      [
        [sessionA, net(8, 2), 1],
        [sessionB, net(8, 3), 1],
      ].sort(([x], [y]) => String(x).localeCompare(String(y))),
    );
  });

  test('a delta cuts a removed network at once and leaves the other session untouched; repeat: no change', async () => {
    const before = await chainOf(sessionB);
    const cut = await filter(sessionA, [], 2);
    ok(cut);
    assert.equal(cut.reply.changed, true);
    assert.equal(await from(2, net(60, 10)), 'timeout');
    assert.equal(await chainOf(sessionB), before);
    assert.equal(await from(3, net(50, 10)), 'open');
    const again = await filter(sessionA, [], 2);
    ok(again);
    assert.equal(again.reply.changed, false);
    assert.equal(await chainOf(sessionB), before);
  });

  test('unrestricted reaches everything behind the gateway, still never another session', async () => {
    ok(await filter(sessionA, 'unrestricted', 3));
    assert.equal(await from(2, net(50, 10)), 'open');
    assert.equal(await from(2, net(60, 10)), 'open');
    ok(await filter(sessionA, [], 4));
    assert.equal(await from(2, net(50, 10)), 'timeout');
  });

  test('without the table nothing from the tunnel is forwarded; the next session verb rebuilds it', async () => {
    assert.equal((await nft('delete', 'table', 'inet', FORWARD_TABLE)).code, 0);
    assert.equal(await from(3, net(50, 10)), 'timeout', 'the iptables baseline needs the mark');
    const rebuilt = await filter(sessionB, [`10.50.${n}.0/24`], 1);
    ok(rebuilt);
    assert.equal(rebuilt.reply.changed, true, 'a rebuilt table is a change');
    assert.equal(await from(3, net(50, 10)), 'open');
    // Session A's latest rules came back from the state, not its first ones.
    assert.match(await chainOf(sessionA), / v4"/);
    assert.equal(await from(2, net(50, 10)), 'timeout');
  });

  test('vpn_user_delete takes the session rules out of the kernel', async () => {
    ok(await gw(`vpn_user_delete ${sessionB}`));
    assert.equal(await from(3, net(50, 10)), 'timeout');
    const map = (await nft('list', 'map', 'inet', FORWARD_TABLE, 'sessions')).stdout;
    assert.doesNotMatch(map, new RegExp(net(8, 3).replaceAll('.', '\\.')));
    assert.notEqual((await nft('list', 'chain', 'inet', FORWARD_TABLE, sessionChain(sessionB))).code, 0);
    assert.match(map, new RegExp(`${net(8, 2).replaceAll('.', '\\.')} : jump ${sessionChain(sessionA)}`));
  });
});
