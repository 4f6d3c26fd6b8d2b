// viworks-gw against the real daemons, in a namespace lab: apply_config in direct mode brings up
// fwknopd, stunnel and OpenVPN with the firewall closed and the forwarding table loaded; spa_key_add lets a real SPA packet (our
// encoder) open the TLS port for the client only; spa_key_remove makes the next packet useless;
// health sees all three services; repeating apply_config changes nothing; the management client
// talks to the real OpenVPN (status 3, kill of a CN that is not connected); a changed VPN pool
// re-pins every session's address in its CCD and in the forwarding table. The front door's capture
// (viworks-gw-frontdoor, started by apply_config) writes the JA3/JA4 of a real ClientHello.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewaySettings, HealthResult } from '../core/gateway/control.js';
import { encodeSpa } from '../core/spa/encode.js';
import { listNamespaces, NetnsPair } from '../scripts/testkit/netns.js';
import { needPeers } from '../scripts/testkit/peers.js';
import { FRONT_DOOR_SERVICE, frontDoorHelloLog } from './front-door/paths.js';
import { managementCommand, parseStatus3Sessions } from './openvpn/management.js';
import { readPidFile } from './services/process-check.js';
import { fwknopdLog, pidFileOf } from './services/service-paths.js';
import { type ApplyBundle, applyBundle, callGw } from './testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from './testing/node-config-fixture.js';

const peers = needPeers({
  binaries: [
    '/usr/sbin/fwknopd',
    '/usr/bin/stunnel4',
    '/usr/sbin/openvpn',
    '/usr/sbin/iptables',
    '/usr/sbin/nft',
    '/usr/sbin/ip',
    '/usr/bin/tcpdump',
    '/usr/bin/openssl',
  ],
  root: true,
  apt: 'fwknop-server stunnel4 openvpn iptables nftables iproute2 tcpdump openssl',
});

const SPA_PORT = 62201;

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^[0-9]+ \(.*\) Z/.test(stat)) return true;
    } catch {
      return true;
    }
    await sleep(50);
  }
  return false;
}
const TLS_PORT = 443;
/** Prints `connected` once the TCP handshake completes (stunnel sends nothing first), else `timeout`. */
const CONNECT_JS = `const [,h,p,t]=process.argv;const s=require('net').connect({host:h,port:+p});
const done=r=>{console.log(r);s.destroy();process.exit(0)};setTimeout(()=>done('timeout'),+t);
s.on('connect',()=>done('connected'));s.on('error',e=>done(e.code||'error'));`;

describe('viworks-gw with real fwknopd, stunnel, OpenVPN and iptables', {
  skip: peers.skip,
  timeout: 240_000,
}, () => {
  let lab: NetnsPair | undefined;
  let fx: NodeConfigFixture | undefined;
  let bundle: ApplyBundle;
  const device = `d-${randomBytes(16).toString('hex')}`;
  const encKey = randomBytes(32);
  const hmacKey = randomBytes(64);

  const gw = (command: string, stdin?: unknown) => callGw(lab!, lab!.gw, fx!.path, command, stdin);
  const tcpFromClient = async () => {
    const r = await lab!.exec(lab!.cl, [
      process.execPath,
      '-e',
      CONNECT_JS,
      lab!.gw.address,
      String(TLS_PORT),
      '1500',
    ]);
    return r.stdout.trim();
  };
  const fwLog = () => {
    try {
      return readFileSync(fwknopdLog(fx!.config), 'utf8');
    } catch {
      return '';
    }
  };
  const count = (re: RegExp) => (fwLog().match(new RegExp(re.source, 'g')) ?? []).length;
  async function waitForLog(re: RegExp, minCount: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (count(re) >= minCount) return true;
      await sleep(100);
    }
    return false;
  }
  const knock = () =>
    lab!.sendUdp(
      lab!.cl,
      lab!.gw.address,
      SPA_PORT,
      encodeSpa({
        encKey,
        hmacKey,
        username: device,
        accessIp: lab!.cl.address,
        accessPorts: [{ proto: 'tcp', port: TLS_PORT }],
      }),
    );

  before(async () => {
    lab = await NetnsPair.create();
    fx = createNodeConfig({ spaInterface: lab.gw.ifname, listenAddress: lab.gw.address });
    const settings: GatewaySettings = {
      fqdn: 'gw.lab.viworks.test',
      tls_port: TLS_PORT,
      spa_port: SPA_PORT,
      fw_access_timeout_s: 20,
      vpn_network: `10.98.${randomBytes(1)[0]}.0/24`,
      push_routes: ['10.20.0.0/16'],
      push_dns: ['10.0.0.53'],
      redirect_gateway: true,
      backend_cidrs: ['10.0.0.0/8'],
    };
    bundle = await applyBundle(settings);
  });

  after(async () => {
    const names = lab ? [lab.gw.ns, lab.cl.ns] : [];
    const pids = fx
      ? (['fwknopd', 'stunnel', 'openvpn', FRONT_DOOR_SERVICE] as const).map((s) =>
          readPidFile(pidFileOf(fx!.config, s)),
        )
      : [];
    if (process.env.VIW_GW_DEBUG === '1' && fx) console.error(fwLog());
    // destroy() ends every process left in the namespaces (our daemonized services included).
    await lab?.destroy();
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    assert.deepEqual(
      (await listNamespaces()).filter((n) => names.includes(n)),
      [],
      'namespaces left behind',
    );
    // SIGKILLed by destroy(); gone once reaped (a zombie still answers kill 0, /proc says Z).
    for (const pid of pids) if (pid !== null) assert.ok(await gone(pid), `service pid ${pid} still alive`);
  });

  test('apply_config brings up fwknopd, stunnel and OpenVPN behind a closed firewall', async () => {
    const { reply, exit, raw } = await gw('apply_config', bundle.input);
    assert.equal(exit, 0, `${JSON.stringify(reply)}\n${raw.stderr}`);
    assert.equal(reply.changed, true);
    const health = await gw('health');
    const h = health.reply.result as HealthResult;
    assert.equal(h.config_id, bundle.input.config_id);
    for (const s of ['fwknopd', 'stunnel', 'openvpn'] as const) assert.equal(h.services[s].running, true, s);
    assert.equal(h.services.front_door?.running, true, 'the front-door capture runs');
    assert.ok((reply.result as { restarted: string[] }).restarted.includes(FRONT_DOOR_SERVICE));
    assert.deepEqual(h.sessions, []);
    assert.deepEqual(h.forwarding, { table_loaded: true, sessions: [] });
    assert.equal(await tcpFromClient(), 'timeout', 'TLS port reachable without SPA');
  });

  test('spa_key_add: a real SPA packet of that device opens the TLS port for the client', async () => {
    const keys = { key_base64: encKey.toString('base64'), hmac_key_base64: hmacKey.toString('base64') };
    const { reply, exit } = await gw(`spa_key_add ${device}`, keys);
    assert.equal(exit, 0, JSON.stringify(reply));
    assert.deepEqual([reply.changed, reply.result], [true, { reloaded: true }]);
    // fwknopd logs a restart on SIGHUP; wait for it before knocking.
    assert.ok(await waitForLog(/main event loop/, 2, 15_000), `fwknopd did not reload:\n${fwLog()}`);
    await knock();
    assert.ok(await waitForLog(/Added access rule to FWKNOP_INPUT/, 1, 10_000), `no rule:\n${fwLog()}`);
    assert.equal(await tcpFromClient(), 'connected');
    assert.equal((await gw(`spa_key_add ${device}`, keys)).reply.changed, false);
  });

  test("the front door records a real client's ClientHello: its address, port, JA3 and JA4", async () => {
    const helloLines = () => {
      try {
        return readFileSync(frontDoorHelloLog(fx!.config), 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    const before = helloLines().length;
    const rules = count(/Added access rule to FWKNOP_INPUT/);
    await knock();
    assert.ok(await waitForLog(/Added access rule to FWKNOP_INPUT/, rules + 1, 10_000), fwLog());
    // No client certificate: stunnel refuses it after the hello, which is all the capture reads.
    await lab!.exec(
      lab!.cl,
      ['/usr/bin/openssl', 's_client', '-connect', `${lab!.gw.address}:${TLS_PORT}`, '-tls1_3'],
      { input: '', timeoutMs: 15_000 },
    );
    let lines: string[] = [];
    for (let i = 0; i < 100 && lines.length <= before; i++) {
      lines = helloLines();
      await sleep(100);
    }
    const mine = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const hello = mine.find((h) => h.src_ip === lab!.cl.address);
    assert.ok(hello, `no hello from the client: ${JSON.stringify(mine)}`);
    assert.equal(hello.dst_port, TLS_PORT);
    assert.equal(hello.tls_version, '1.3');
    assert.match(String(hello.ja3), /^[0-9a-f]{32}$/);
    assert.match(String(hello.ja4), /^t13[di][0-9]{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  test('tcpdump gone: the capture service exits, health shows it down, apply_config starts it again', async () => {
    const pid = readPidFile(pidFileOf(fx!.config, FRONT_DOOR_SERVICE));
    assert.ok(pid, 'the capture wrote its pid file');
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const tcpdump = children
      .map(Number)
      .find((c) => readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'tcpdump');
    assert.ok(tcpdump, `no tcpdump child of ${pid}: ${children.join(',')}`);
    process.kill(tcpdump, 'SIGKILL');
    assert.ok(await gone(pid), 'the service ended with its tcpdump');
    const down = (await gw('health')).reply.result as HealthResult;
    assert.deepEqual(down.services.front_door, { running: false, pid: null });
    const again = await gw('apply_config', bundle.input);
    assert.deepEqual((again.reply.result as { restarted: string[] }).restarted, [FRONT_DOOR_SERVICE]);
    const up = (await gw('health')).reply.result as HealthResult;
    assert.equal(up.services.front_door?.running, true);
  });

  test('spa_key_remove: the next packet of that device opens nothing', async () => {
    const { reply } = await gw(`spa_key_remove ${device}`);
    assert.deepEqual([reply.changed, reply.result], [true, { reloaded: true }]);
    assert.ok(await waitForLog(/main event loop/, 3, 15_000), `fwknopd did not reload:\n${fwLog()}`);
    const added = count(/Added access rule to FWKNOP_INPUT/);
    const seen = count(/SPA Packet from IP: /);
    await knock();
    assert.ok(await waitForLog(/SPA Packet from IP: /, seen + 1, 10_000), `packet not seen:\n${fwLog()}`);
    // fwknopd finishes a packet (rule or refusal) before reading the next: one more packet settles it.
    await knock();
    assert.ok(await waitForLog(/SPA Packet from IP: /, seen + 2, 10_000));
    assert.equal(
      count(/Added access rule to FWKNOP_INPUT/),
      added,
      `a removed key opened the port:\n${fwLog()}`,
    );
  });

  test('a second identical apply_config changes nothing and restarts nothing', async () => {
    const before = (['fwknopd', 'stunnel', 'openvpn'] as const).map((s) =>
      readPidFile(pidFileOf(fx!.config, s)),
    );
    const { reply, exit } = await gw('apply_config', bundle.input);
    assert.equal(exit, 0, JSON.stringify(reply));
    assert.equal(reply.changed, false, JSON.stringify(reply));
    const after = (['fwknopd', 'stunnel', 'openvpn'] as const).map((s) =>
      readPidFile(pidFileOf(fx!.config, s)),
    );
    assert.deepEqual(after, before);
  });

  test('OpenVPN management: status 3 lists no clients; terminate_session of an absent CN kills 0', async () => {
    const sock = fx!.config.facts.paths.openvpnMgmtSocket;
    // A unix socket is reached through the filesystem: no need to enter the namespace.
    const lines = await managementCommand(sock, 'status 3', 'block');
    assert.ok(
      lines.some((l) => l.startsWith('TITLE\t')),
      lines.join('\n'),
    );
    assert.deepEqual(parseStatus3Sessions(lines), []);
    const absent = `s-${randomBytes(16).toString('hex')}`;
    const { reply, exit } = await gw(`terminate_session ${absent}`);
    assert.equal(exit, 0, JSON.stringify(reply));
    assert.deepEqual([reply.changed, reply.result], [false, { killed: 0 }]);
  });

  test('a changed VPN pool re-pins every session: its CCD and its forwarding rules', async () => {
    const session = `s-${randomBytes(16).toString('hex')}`;
    const expires_at = Math.floor(Date.now() / 1000) + 3600;
    const created = await gw(`vpn_user_create ${session}`, { push_routes: [], expires_at });
    assert.equal(created.exit, 0, JSON.stringify(created.reply));
    const ccd = () => readFileSync(join(fx!.config.facts.paths.ccdDir, session), 'utf8');
    const oldPool = bundle.input.settings.vpn_network.replace(/0\/24$/, '');
    assert.match(
      ccd(),
      new RegExp(`^ifconfig-push ${oldPool.replaceAll('.', '\\.')}2 255\\.255\\.255\\.0$`, 'm'),
    );
    const settings = { ...bundle.input.settings, vpn_network: '10.97.0.0/16' };
    const config_id = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    const moved = await gw('apply_config', { ...bundle.input, settings, config_id });
    assert.equal(moved.exit, 0, JSON.stringify(moved.reply));
    assert.equal((moved.reply.result as { sessions_repinned: number }).sessions_repinned, 1);
    assert.match(ccd(), /^ifconfig-push 10\.97\.0\.2 255\.255\.0\.0$/m);
    const h = (await gw('health')).reply.result as HealthResult;
    assert.deepEqual(h.forwarding?.sessions, [{ session, address: '10.97.0.2', policy: null }]);
    const map = await lab!.exec(lab!.gw, ['/usr/sbin/nft', 'list', 'map', 'inet', 'viworks_gw', 'sessions']);
    assert.match(map.stdout, new RegExp(`10\\.97\\.0\\.2 : jump sess_${session.slice(2)}`));
    assert.ok(h.services.openvpn.running, 'OpenVPN back up on the new pool');
  });
});
