// The address pinning and a live delta with a real OpenVPN 2.6 on both ends: the gateway's rendered
// server config (`server … nopool`, ccd-exclusive) in a gateway namespace, viworks-gw authorizing
// one session (its CCD pins the address) and filtering it, a real client in a client namespace.
// The client gets exactly the pinned address, reaches its policy's network and not the other one
// pushed to it, and a session_filter delta swaps the two while the tunnel stays up.
//
//   client ns (OpenVPN client, tun0 = the pinned 10.8.N.2) ── veth ── gateway ns (relay on the veth
//   address → OpenVPN on 127.0.0.1, as stunnel would) ── veth ── target ns (10.50.N.10, 10.60.N.10)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthResult } from '../core/gateway/control.js';
import {
  IP,
  listNamespaces,
  type NetnsEnd,
  NetnsPair,
  NsProcess,
  run,
  runOk,
} from '../scripts/testkit/netns.js';
import { createTestCa, OPENVPN } from '../scripts/testkit/openvpn-server.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { buildCrl } from '../server/pki/crl.js';
import { PROFILES } from '../server/pki/profiles.js';
import { generateTlsCryptKey } from '../server/pki/tls-crypt.js';
import { DEFAULT_NFT } from './firewall/nft.js';
import { renderIptablesRules, VIWORKS_FORWARD_JUMP, VIWORKS_INPUT_JUMP } from './render/iptables-rules.js';
import { renderOpenVpnServerConf } from './render/openvpn-server-conf.js';
import { sampleSettings } from './render/test-fixtures.js';
import { writeApplied } from './state/node-state.js';
import { callGw } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';
import { addTargetBehind, removeTarget } from './testing/target-network.js';

const IPTABLES = '/usr/sbin/iptables';
const RESTORE = '/usr/sbin/iptables-restore';
const peers = needPeers({
  binaries: [OPENVPN, DEFAULT_NFT, IP, IPTABLES, RESTORE],
  root: true,
  apt: 'openvpn nftables iproute2 iptables',
});
const PORT = 8080;
const RELAY_JS = `const net=require('net');const [,h,p]=process.argv;net.createServer(c=>{
const s=net.connect(+p,'127.0.0.1');c.pipe(s).pipe(c);c.on('error',()=>s.destroy());s.on('error',()=>c.destroy())})
.listen(+p,h,()=>console.log('listening'));`;

async function waitFor(read: () => string, re: RegExp, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (re.test(read())) return true;
    await sleep(100);
  }
  return false;
}

describe('a real OpenVPN session at its pinned address, filtered live', {
  skip: peers.skip,
  timeout: 180_000,
}, () => {
  const n = randomInt(1, 250);
  const net = (a: number, host: number) => `10.${a}.${n}.${host}`;
  const session = `s-${randomBytes(16).toString('hex')}`;
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const settings = sampleSettings({
    vpn_network: `10.8.${n}.0/24`,
    push_routes: [`10.50.${n}.0/24`, `10.60.${n}.0/24`],
    push_dns: [],
    redirect_gateway: false,
  });
  let lab: NetnsPair | undefined;
  let fx: NodeConfigFixture | undefined;
  let target: NetnsEnd | undefined;
  let client: NsProcess | undefined;

  const gw = (command: string, stdin?: unknown) => callGw(lab!, lab!.gw, fx!.path, command, stdin);
  const filter = (networks: string[], version: number) =>
    gw(`session_filter ${session}`, {
      policy: { policy_id: 'p-default', version },
      networks,
      expires_at: expiresAt,
    });
  const probe = (to: string) => lab!.probeTcp(lab!.cl, to, PORT, { timeoutMs: 1500 });
  const serverLog = () => {
    try {
      return readFileSync(fx!.config.facts.paths.openvpnLog, 'utf8');
    } catch {
      return '';
    }
  };

  before(async () => {
    lab = await NetnsPair.create();
    target = await addTargetBehind(
      lab,
      [50, 60].map((a) => ({ gateway: net(a, 1), target: net(a, 10) })),
    );
    await lab.listenTcp(target, '0.0.0.0', PORT);

    fx = createNodeConfig({ spaInterface: lab.gw.ifname, listenAddress: lab.gw.address });
    const p = fx.config.facts.paths;
    const restored = await run([IP, 'netns', 'exec', lab.gw.ns, RESTORE, '-w'], {
      input: renderIptablesRules(settings, fx.config.facts),
    });
    assert.equal(restored.code, 0, restored.stderr);
    for (const jump of [VIWORKS_INPUT_JUMP, VIWORKS_FORWARD_JUMP]) {
      await runOk([IP, 'netns', 'exec', lab.gw.ns, IPTABLES, '-w', '-A', ...jump]);
    }
    // INPUT is DROP: the relay's port stands in for the TLS port fwknopd would open for the client.
    await runOk([
      ...[IP, 'netns', 'exec', lab.gw.ns, IPTABLES, '-w', '-I', 'INPUT', '-s', lab.cl.address],
      ...['-p', 'tcp', '--dport', '1194', '-j', 'ACCEPT'],
    ]);

    // The OpenVPN server exactly as apply_config would write it (without starting the rest).
    const ca = await createTestCa('ViWorkS Pin Lab');
    const server = await ca.issue('ovpn-pin-lab', PROFILES['vpn-server']);
    const tlsCrypt = generateTlsCryptKey();
    const now = new Date(Date.now() - 60_000);
    const crl = (await buildCrl(ca.intVpn, [], 1n, now)) + (await buildCrl(ca.root, [], 1n, now));
    for (const [path, text, mode] of [
      [p.openvpnCa, ca.caPem, 0o644],
      [p.openvpnCert, server.certPem, 0o644],
      [p.openvpnKey, server.keyPem, 0o600],
      [p.tlsCryptKey, tlsCrypt, 0o600],
      [p.crl, crl, 0o644],
      [p.openvpnConf, renderOpenVpnServerConf(settings, fx.config.facts), 0o644],
    ] as const) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text, { mode });
    }
    for (const dir of [p.ccdDir, dirname(p.openvpnPid), dirname(p.openvpnLog)])
      mkdirSync(dir, { recursive: true });
    writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings, services: {} });
    lab.spawn(lab.gw, 'openvpn-server', [OPENVPN, '--config', p.openvpnConf]);
    assert.ok(await waitFor(serverLog, /Initialization Sequence Completed/, 20_000), serverLog());
    const relay = lab.spawn(lab.gw, 'relay', [process.execPath, '-e', RELAY_JS, lab.gw.address, '1194']);
    assert.ok(await relay.waitFor(/^listening$/m, 10_000), relay.output);

    // The session: authorized (CCD with its pinned address) and filtered before it connects.
    const created = await gw(`vpn_user_create ${session}`, { push_routes: [], expires_at: expiresAt });
    assert.equal(created.exit, 0, JSON.stringify(created.reply));
    const filtered = await filter([`10.50.${n}.0/24`], 1);
    assert.equal(filtered.exit, 0, JSON.stringify(filtered.reply));

    const cred = await ca.issue(session);
    const clientConf = [
      'client',
      'dev tun',
      'proto tcp-client',
      `remote ${lab.gw.address} 1194`,
      'nobind',
      'remote-cert-tls server',
      'data-ciphers AES-256-GCM:AES-128-GCM',
      'auth SHA256',
      'verb 3',
      `<ca>\n${ca.caPem}</ca>`,
      `<cert>\n${cred.certPem}</cert>`,
      `<key>\n${cred.keyPem}</key>`,
      `<tls-crypt>\n${tlsCrypt}</tls-crypt>`,
      '',
    ].join('\n');
    // Node's stdin pipe is a socketpair OpenVPN cannot open as /dev/stdin: bash makes a real pipe.
    const feeder = 'exec "$0" --config /dev/stdin < <(exec "$1")';
    const child = spawn(
      IP,
      [
        'netns',
        'exec',
        lab.cl.ns,
        '/bin/bash',
        '--noprofile',
        '--norc',
        '-c',
        feeder,
        OPENVPN,
        '/usr/bin/cat',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(clientConf);
    client = new NsProcess('openvpn-client', child);
    assert.ok(
      await client.waitFor(/Initialization Sequence Completed/, 30_000),
      `client:\n${client.output}\nserver:\n${serverLog()}`,
    );
  });

  after(async () => {
    const names = [lab?.gw.ns, lab?.cl.ns, target?.ns].filter((x): x is string => x !== undefined);
    await client?.stop();
    // destroy() stops every process this test started in the two lab namespaces, by PID.
    await lab?.destroy();
    await removeTarget(target);
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    assert.deepEqual(
      (await listNamespaces()).filter((x) => names.includes(x)),
      [],
      'namespaces left behind',
    );
  });

  test('the client has exactly the address the node pinned in its CCD', async () => {
    const ccd = readFileSync(`${fx!.config.facts.paths.ccdDir}/${session}`, 'utf8');
    assert.match(
      ccd,
      new RegExp(`^ifconfig-push ${net(8, 2).replaceAll('.', '\\.')} 255\\.255\\.255\\.0$`, 'm'),
    );
    const addr = await runOk([IP, '-n', lab!.cl.ns, '-4', 'addr', 'show', 'dev', 'tun0']);
    assert.match(addr, new RegExp(`inet ${net(8, 2).replaceAll('.', '\\.')}/24`));
  });

  test('it reaches its policy network through the tunnel, not the other pushed one', async () => {
    assert.equal(await probe(net(50, 10)), 'open');
    assert.equal(await probe(net(60, 10)), 'timeout');
  });

  test('a delta swaps them while the tunnel stays up (no reconnect); health shows the new tag', async () => {
    const swapped = await filter([`10.60.${n}.0/24`], 2);
    assert.equal(swapped.exit, 0, JSON.stringify(swapped.reply));
    assert.equal(await probe(net(60, 10)), 'open');
    assert.equal(await probe(net(50, 10)), 'timeout');
    assert.equal(client?.running, true);
    assert.equal(client?.output.match(/Initialization Sequence Completed/g)?.length, 1, 'reconnected');
    const h = (await gw('health')).reply.result as HealthResult;
    assert.deepEqual(h.sessions, [session]);
    assert.deepEqual(h.forwarding?.sessions, [
      { session, address: net(8, 2), policy: { policy_id: 'p-default', version: 2 } },
    ]);
  });

  test('vpn_user_delete ends the session and its rules', async () => {
    const del = await gw(`vpn_user_delete ${session}`);
    assert.equal(del.exit, 0, JSON.stringify(del.reply));
    assert.deepEqual(del.reply.result, { killed: 1 });
    // The client's tunnel is gone (ENETUNREACH) or, while it retries (its CCD is gone: refused),
    // nothing passes.
    assert.notEqual(await probe(net(60, 10)), 'open');
    const h = (await gw('health')).reply.result as HealthResult;
    assert.deepEqual(h.forwarding?.sessions, []);
  });
});
