// The OpenVPN runner, twice: against a stand-in binary (process handling: readiness, timeout,
// escalation to SIGKILL, the process group, log filtering, buffer wiping), and against a REAL
// OpenVPN 2.6 server in a lab namespace (scripts/testkit/openvpn-server.ts), with the client run by
// the runner in the client namespace through `ip netns exec`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BootstrapPayload } from '../../../core/bootstrap/payload.js';
import { splitOvpn } from '../../../core/bootstrap/testing/split.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { listNamespaces, NetnsPair, type NsProcess, run } from '../../../scripts/testkit/netns.js';
import {
  askWhoami,
  createTestCa,
  FORWARD_JS,
  ovpnPolicy,
  routeClientViaGateway,
  startOpenVpnServer,
  startWhoami,
  type TestCa,
  type VpnServer,
} from '../../../scripts/testkit/openvpn-server.js';
import { needPeers } from '../../../scripts/testkit/peers.js';
import { PROFILES } from '../../../server/pki/profiles.js';
import { generateTlsCryptKey } from '../../../server/pki/tls-crypt.js';
import { type RenderOptions, renderClientConfig } from './config.js';
import { activeTunnels, checkRoutingPolicy } from './host-checks.js';
import { listLinks, routeGet } from './iproute.js';
import { OpenVpnError, type OpenVpnProcess, startOpenVpn } from './runner.js';

/** The stdin config as the starter renders it: the policy's secrets as Buffers, a Buffer out. */
function render(full: BootstrapPayload['ovpn'], opts: RenderOptions): Buffer {
  const { ovpn, secrets } = splitOvpn(full);
  return renderClientConfig(ovpn, secrets, opts);
}

import { RunnerOpenVpnStarter } from './starter.js';

/** Running (a zombie, already dead and holding nothing, does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function rejection(p: Promise<unknown>): Promise<OpenVpnError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OpenVpnError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

// ── A stand-in binary ────────────────────────────────────────────────────────────────────────
// It reads its "config" from stdin to EOF (as OpenVPN does) and acts on a `mode=` word in it.
const FAKE = `#!/bin/sh
cfg=$(cat)
say() { echo "2026-01-01 00:00:00 $*"; }
case "$cfg" in
  *mode=ready*)
    sleep 300 & echo "grandchild $!"
    say "TUN/TAP device tun9 opened"; say "net_addr_v4_add: 10.99.1.2/24 dev tun9"
    say "-----BEGIN PRIVATE KEY-----"; say "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5x0Yx3Yd1Yq7TzXo"
    say "Initialization Sequence Completed"; exec sleep 300 ;;
  *mode=stubborn*)
    trap '' TERM; say "TUN/TAP device tun9 opened"; say "net_addr_v4_add: 10.99.1.2/24 dev tun9"
    say "Initialization Sequence Completed"; while :; do sleep 1; done ;;
  *mode=refused*)
    say "TCP: connect to [AF_INET]127.0.0.1:1 failed: Connection refused"
    say "SIGTERM[soft,connection-failed] received, process exiting"; exit 0 ;;
  *mode=errors*)
    say "TUN/TAP device tun9 opened"; say "Initialization Sequence Completed With Errors"; exec sleep 300 ;;
  *mode=lost*)
    say "VERIFY OK: depth=0, CN=ovpn-x, O=ViWorkS"; say "[ovpn-x] Peer Connection Initiated with [AF_INET]127.0.0.1:1"
    say "TUN/TAP device tun9 opened"; say "net_addr_v4_add: 10.99.1.2/24 dev tun9"; say "Initialization Sequence Completed"
    sleep 0.3; say "Connection reset, restarting [0]"; say "SIGTERM[soft,connection-reset] received, process exiting"; exit 0 ;;
  *) sleep 300 ;;
esac
`;

describe('runner with a stand-in binary', () => {
  let dir = '';
  let fake = '';
  const started: OpenVpnProcess[] = [];
  const start = async (
    mode: string,
    extra: { readyTimeoutMs?: number; stopGraceMs?: number; onLog?: (l: string) => void } = {},
  ) => {
    const vpn = await startOpenVpn({
      configText: `mode=${mode}\n`,
      openvpnPath: fake,
      readyTimeoutMs: 5000,
      ...extra,
    });
    started.push(vpn);
    return vpn;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-ovpn-fake-'));
    chmodSync(dir, 0o755);
    fake = join(dir, 'openvpn');
    writeFileSync(fake, FAKE, { mode: 0o755 });
  });
  after(async () => {
    await Promise.all(started.map((v) => v.stop()));
    for (const v of started) assert.ok(!alive(v.pid), 'a stand-in survived');
    rmSync(dir, { recursive: true, force: true });
  });

  test('ready: address and device from the log; onLog sees no key material; stop() takes the whole group', async () => {
    const lines: string[] = [];
    const vpn = await start('ready', { onLog: (l) => lines.push(l) });
    const r = await vpn.ready;
    assert.equal(r.virtualIp, '10.99.1.2');
    assert.equal(r.prefixLength, 24);
    assert.equal(r.tunDevice, 'tun9');
    assert.ok(r.readyMs >= 0 && r.readyMs < 5000);
    assert.ok(lines.includes('Initialization Sequence Completed'), lines.join('\n'));
    assert.ok(!lines.some((l) => /BEGIN|MIGH/.test(l)), 'key material reached onLog');
    const grandchild = Number(lines.find((l) => l.startsWith('grandchild '))?.split(' ')[1]);
    assert.ok(alive(grandchild));
    await vpn.stop();
    const exit = await vpn.exited;
    assert.equal(exit.reason, 'stopped');
    assert.ok(!alive(vpn.pid), 'leader alive');
    assert.ok(!alive(grandchild), 'grandchild orphaned');
  });

  test('a Uint8Array config is zeroed once written; argv and environment carry nothing of it', async () => {
    const config = Buffer.from(`mode=ready\nsecret=${randomBytes(16).toString('hex')}\n`);
    const vpn = await startOpenVpn({ configText: config, openvpnPath: fake, readyTimeoutMs: 5000 });
    started.push(vpn);
    await vpn.ready;
    assert.ok(
      config.every((b) => b === 0),
      'config buffer not wiped',
    );
    // `exec sleep` replaced the stand-in by now: argv and environment are what the chain gave it.
    assert.ok(!readFileSync(`/proc/${vpn.pid}/cmdline`, 'utf8').includes('secret'));
    assert.ok(!readFileSync(`/proc/${vpn.pid}/environ`, 'utf8').includes('secret'));
    await vpn.stop();
  });

  test('not ready in time: ready_timeout, and the process is gone', async () => {
    const t0 = Date.now();
    const vpn = await start('hang', { readyTimeoutMs: 300 });
    const err = await rejection(vpn.ready);
    assert.equal(err.reason, 'ready_timeout');
    assert.ok(isViworksError(err, 'VIW_E_OPENVPN_FAILED'));
    assert.deepEqual(err.details, ['openvpn: ready_timeout']);
    assert.equal((await vpn.exited).reason, 'ready_timeout');
    assert.ok(Date.now() - t0 < 3000);
    assert.ok(!alive(vpn.pid));
  });

  test('a process that ignores SIGTERM is killed after the grace', async () => {
    const vpn = await start('stubborn', { stopGraceMs: 300 });
    await vpn.ready;
    const t0 = Date.now();
    await vpn.stop();
    const exit = await vpn.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 < 3000);
    await vpn.stop(); // idempotent
  });

  test('typed reasons: connection refused, "Completed With Errors", loss after ready', async () => {
    const refused = await start('refused');
    const e1 = await rejection(refused.ready);
    assert.equal(e1.reason, 'connection_failed');
    assert.equal(e1.retryable, true);
    // OpenVPN exits 0 after a remapped soft failure (or is stopped at the first cause line):
    // the reason comes from the log, never from the exit code.
    assert.equal((await refused.exited).reason, 'connection_failed');

    const errors = await start('errors');
    const e2 = await rejection(errors.ready);
    assert.equal(e2.reason, 'init_errors');
    assert.equal(e2.retryable, false);
    assert.equal((await errors.exited).reason, 'init_errors');
    assert.ok(!alive(errors.pid), 'left running with routes missing');

    const lost = await start('lost');
    await lost.ready;
    const x3 = await lost.exited;
    assert.equal(x3.reason, 'connection_lost');
    assert.equal(x3.retryable, true);
  });

  test('binary checks: relative path, group-writable file', async () => {
    await assert.rejects(
      startOpenVpn({ configText: 'x', openvpnPath: 'openvpn', readyTimeoutMs: 100 }),
      (e) => {
        return e instanceof OpenVpnError && e.reason === 'binary_invalid';
      },
    );
    const loose = join(dir, 'loose');
    writeFileSync(loose, FAKE, { mode: 0o775 });
    chmodSync(loose, 0o775);
    const buf = Buffer.from('mode=ready\n');
    await assert.rejects(startOpenVpn({ configText: buf, openvpnPath: loose, readyTimeoutMs: 100 }), (e) => {
      return e instanceof OpenVpnError && e.reason === 'binary_invalid' && e.retryable === false;
    });
    assert.ok(
      buf.every((b) => b === 0),
      'config not wiped on refusal',
    );
  });
});

// ── A real OpenVPN 2.6 server ────────────────────────────────────────────────────────────────

const OPENVPN = '/usr/sbin/openvpn';
const peers = needPeers({ binaries: [OPENVPN, '/usr/sbin/ip'], root: true, apt: 'openvpn iproute2' });
const WHOAMI_PORT = 7000;
const DNS = '10.0.0.53';

describe('runner against a real OpenVPN 2.6 server in a lab namespace', {
  skip: peers.skip,
  timeout: 120_000,
}, () => {
  let lab: NetnsPair | undefined;
  let ca: TestCa;
  let tlsCryptKey = '';
  let serverAddress = '';
  let server: VpnServer | undefined;
  let rogue: VpnServer | undefined;
  let forwarder: NsProcess | undefined;
  const clients: OpenVpnProcess[] = [];
  const t0 = Date.now();
  const cl = () => lab!.cl;

  /** A fresh per-session client certificate (CN = the session id), as the backend issues. */
  const session = () => `s-${randomBytes(6).toString('hex')}`;

  async function connect(configText: string | Buffer, logs: string[] = []): Promise<OpenVpnProcess> {
    const vpn = await startOpenVpn({
      configText,
      netns: cl().ns,
      readyTimeoutMs: 20_000,
      onLog: (l) => logs.push(l),
    });
    clients.push(vpn);
    return vpn;
  }

  before(async () => {
    lab = await NetnsPair.create();
    serverAddress = await routeClientViaGateway(lab);
    ca = await createTestCa();
    tlsCryptKey = generateTlsCryptKey();
    server = await startOpenVpnServer(lab, { ca, tlsCryptKey, listen: serverAddress, clientCnPrefix: 's-' });
    await startWhoami(lab, lab.gw, server.tunAddress, WHOAMI_PORT);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    if (process.env.VIW_OVPN_DEBUG === '1') console.error(server?.process.output);
    await forwarder?.stop();
    await rogue?.stop();
    await server?.stop();
    const names = lab ? [lab.gw.ns, lab.cl.ns] : [];
    await lab?.destroy();
    assert.deepEqual(
      (await listNamespaces()).filter((n) => names.includes(n)),
      [],
      'namespaces left behind',
    );
    for (const c of clients) assert.ok(!alive(c.pid), `openvpn ${c.pid} still running`);
    for (const p of [server?.process, rogue?.process])
      assert.ok(p?.pid === undefined || !alive(p.pid), 'server alive');
  });

  test('connects: address in the pool, traffic through the tunnel, routing policy holds, nothing secret outside memory', async () => {
    assert.deepEqual(
      await activeTunnels({ netns: cl().ns }),
      { interfaces: [], routes: [] },
      'lab not clean',
    );
    const client = await ca.issue(session());
    const ovpn = ovpnPolicy(ca, tlsCryptKey, client, { redirectGateway: true, dnsPush: [DNS] });
    const logs: string[] = [];
    const wall = Date.now();
    const vpn = await connect(
      render(ovpn, { remoteHost: serverAddress, remotePort: server!.port, platform: 'linux' }),
      logs,
    );
    const r = await vpn.ready;
    if (process.env.VIW_OVPN_DEBUG === '1') console.error(logs.join('\n'));
    console.log(
      `# ready in ${r.readyMs} ms (wall ${Date.now() - wall} ms): ${r.virtualIp}/${r.prefixLength} on ${r.tunDevice}`,
    );
    assert.ok(r.virtualIp.startsWith(server!.poolPrefix) && r.virtualIp !== server!.tunAddress, r.virtualIp);
    assert.equal(r.prefixLength, 24);
    assert.equal(r.tunDevice, 'viworks0', 'the fixed name the kill switch admits');
    assert.deepEqual(r.pushed, { redirectGateway: true, dns: [DNS] }, 'what the server pushed is reported');
    assert.ok(logs.some((l) => l === "Pushed option removed by filter: 'redirect-gateway def1'"));

    // Traffic crosses the tunnel: the server-side listener sees the virtual address as the source.
    assert.equal((await routeGet(server!.tunAddress, { netns: cl().ns }))?.dev, r.tunDevice);
    assert.equal(await askWhoami(lab!, cl(), server!.tunAddress, WHOAMI_PORT), r.virtualIp);

    // Routing policy: IPv4 via def1 (client-side redirect-gateway), IPv6 into block-ipv6, and the
    // policy's resolver reached through the tunnel.
    const report = await checkRoutingPolicy({
      netns: cl().ns,
      tunDevice: r.tunDevice,
      redirectGateway: true,
      dnsPush: [DNS],
      resolvConf: `nameserver ${DNS}\n`,
    });
    assert.ok(report.checks.every((c) => c.ok) && report.checks.length >= 6, JSON.stringify(report.checks));
    assert.deepEqual(report.dns.viaTunnel, [DNS]);
    assert.equal(report.dns.policyApplied, true);
    // Without policy DNS a resolver on the LAN stays in use, asked outside the tunnel: a DNS leak.
    const lanResolver = `nameserver ${lab!.gw.address}\nnameserver 127.0.0.53\n`;
    await assert.rejects(
      checkRoutingPolicy({
        netns: cl().ns,
        tunDevice: r.tunDevice,
        redirectGateway: true,
        dnsPush: [],
        resolvConf: lanResolver,
      }),
      (e) => isViworksError(e, 'VIW_E_LEAK') && e.details.some((d) => d.startsWith('dns_routed')),
    );
    // With policy DNS the daemon replaces it right after this check and its leak checks verify it.
    const deferred = await checkRoutingPolicy({
      netns: cl().ns,
      tunDevice: r.tunDevice,
      redirectGateway: true,
      dnsPush: [DNS],
      resolvConf: lanResolver,
    });
    assert.ok(!deferred.checks.some((c) => c.name === 'dns_routed'));
    assert.deepEqual(deferred.dns.outside, [lab!.gw.address], 'still reported');
    // An earlier session's tunnel is what the next preflight must see.
    const active = await activeTunnels({ netns: cl().ns });
    assert.deepEqual(
      active.interfaces.map((i) => i.name),
      [r.tunDevice],
    );
    assert.ok(
      active.routes.some((x) => x.dst === '0.0.0.0/1') && active.routes.some((x) => x.dst === '128.0.0.0/1'),
    );

    // Nothing secret in argv, environment, open files, temp files or the log.
    const secrets = [
      ...client.keyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')),
      ...tlsCryptKey.split('\n').filter((l) => /^[0-9a-f]{32}$/.test(l)),
    ];
    assert.ok(secrets.length >= 16);
    const cmdline = readFileSync(`/proc/${vpn.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.deepEqual(cmdline, [OPENVPN, '--config', '/dev/stdin']);
    const ps = (await run(['/usr/bin/ps', '-o', 'args=', '-p', String(vpn.pid)])).stdout.trim();
    assert.equal(ps, `${OPENVPN} --config /dev/stdin`);
    assert.equal(
      readFileSync(`/proc/${vpn.pid}/environ`, 'utf8'),
      '',
      'OpenVPN runs with an empty environment',
    );
    const fds = readdirSync(`/proc/${vpn.pid}/fd`).map((fd) => readlinkSync(`/proc/${vpn.pid}/fd/${fd}`));
    const files = fds.filter((t) => t.startsWith('/') && !['/dev/null', '/dev/net/tun'].includes(t));
    assert.deepEqual(files, [], `OpenVPN holds files open: ${fds.join(' ')}`);
    for (const s of secrets) {
      assert.ok(!logs.some((l) => l.includes(s)), 'secret in the log');
    }
    assert.deepEqual(filesHolding(secrets, t0), [], 'a file holds key material');

    // stop(): process gone, tun gone, routes restored.
    await vpn.stop();
    assert.equal((await vpn.exited).reason, 'stopped');
    assert.ok(!alive(vpn.pid));
    assert.ok(
      !(await listLinks({ netns: cl().ns })).some((l) => l.ifname === r.tunDevice),
      'tun left behind',
    );
    assert.deepEqual(await activeTunnels({ netns: cl().ns }), { interfaces: [], routes: [] });
    const openvpnLeft = await pidsIn(cl().ns);
    assert.deepEqual(openvpnLeft, [], 'process left in the client namespace');
  });

  test('a client certificate from another CA is refused: typed failure, bounded time, nothing left', async () => {
    const other = await createTestCa('Other');
    const foreign = await other.issue(session());
    const ovpn = ovpnPolicy(ca, tlsCryptKey, foreign);
    const started = Date.now();
    const vpn = await connect(
      render(ovpn, { remoteHost: serverAddress, remotePort: server!.port, platform: 'linux' }),
    );
    const err = await rejection(vpn.ready);
    const ms = Date.now() - started;
    console.log(`# refused in ${ms} ms: ${err.reason}`);
    assert.equal(err.reason, 'handshake_rejected');
    assert.ok(ms < 10_000, `took ${ms} ms`);
    await vpn.exited;
    assert.ok(!alive(vpn.pid));
    assert.deepEqual(await activeTunnels({ netns: cl().ns }), { interfaces: [], routes: [] });
    assert.match(
      server!.process.output,
      /VERIFY ERROR: depth=0, error=unable to get local issuer certificate/,
    );

    // Same root, other profile: a device certificate (clientAuth, CN d-…) chains to the root the
    // server trusts; only the server's CN check (verify-x509-name s- name-prefix) refuses it.
    const device = await ca.issue(`d-${randomBytes(6).toString('hex')}`, PROFILES['device-client'], ca.root);
    const vpn2 = await connect(
      render(ovpnPolicy(ca, tlsCryptKey, device), {
        remoteHost: serverAddress,
        remotePort: server!.port,
        platform: 'linux',
      }),
    );
    assert.equal((await rejection(vpn2.ready)).reason, 'handshake_rejected');
    assert.match(server!.process.output, /VERIFY X509NAME ERROR: CN=d-/);
  });

  test('a server with a serverAuth certificate from another profile under the same root is refused', async () => {
    // The CA bundle holds the root; the int-tls front-door certificates chain to it too. Only the
    // CN check (verify-x509-name ovpn- name-prefix) tells them from a gateway's OpenVPN server.
    const frontDoor = await ca.issue('tls-gateway', PROFILES['tls-gateway'], ca.root);
    rogue = await startOpenVpnServer(lab!, {
      ca,
      tlsCryptKey,
      listen: serverAddress,
      port: 1195,
      serverCredential: frontDoor,
    });
    const client = await ca.issue(session());
    const ovpn = ovpnPolicy(ca, tlsCryptKey, client);
    const vpn = await connect(
      render(ovpn, { remoteHost: serverAddress, remotePort: 1195, platform: 'linux' }),
    );
    const err = await rejection(vpn.ready);
    assert.equal(err.reason, 'server_cert_invalid');
    assert.equal(err.retryable, false);
    await vpn.exited;
    await rogue.stop();
  });

  test('split-tunnel policy: the pushed redirect-gateway is ignored, and checkRoutingPolicy would see the leak', async () => {
    const client = await ca.issue(session());
    const ovpn = ovpnPolicy(ca, tlsCryptKey, client, { redirectGateway: false });
    const vpn = await connect(
      render(ovpn, { remoteHost: serverAddress, remotePort: server!.port, platform: 'linux' }),
    );
    const r = await vpn.ready;
    assert.equal(r.pushed.redirectGateway, true);
    assert.notEqual((await routeGet('9.9.9.9', { netns: cl().ns }))?.dev, r.tunDevice);
    await checkRoutingPolicy({
      netns: cl().ns,
      tunDevice: r.tunDevice,
      redirectGateway: false,
      dnsPush: [],
      resolvConf: '',
    });
    await assert.rejects(
      checkRoutingPolicy({
        netns: cl().ns,
        tunDevice: r.tunDevice,
        redirectGateway: true,
        dnsPush: [],
        resolvConf: '',
      }),
      (e) => isViworksError(e, 'VIW_E_LEAK') && e.details.some((d) => d.startsWith('ipv4_catch_all')),
    );
    await vpn.stop();
  });

  test('the engine’s starter through a loopback forwarder (the TLS proxy’s place): bypass route, routing verified, done on stop', async () => {
    const port = 41194;
    forwarder = lab!.spawn(cl(), 'forwarder', [
      process.execPath,
      '-e',
      FORWARD_JS,
      String(port),
      serverAddress,
      String(server!.port),
    ]);
    assert.ok(await forwarder.waitFor(/^listening$/m, 10_000), forwarder.output);
    const ovpn = ovpnPolicy(ca, tlsCryptKey, await ca.issue(session()), { redirectGateway: true });
    const starter = new RunnerOpenVpnStarter({ netns: cl().ns, readyTimeoutMs: 20_000 });
    const params = {
      sessionId: 's-test',
      remoteHost: '127.0.0.1',
      remotePort: port,
      ...splitOvpn(ovpn),
      signal: new AbortController().signal,
    };

    // Without the gateway's address a full tunnel through a loopback proxy is refused up front.
    await assert.rejects(
      starter.start({ ...params, gatewayHost: '' }),
      (e) => e instanceof OpenVpnError && e.reason === 'config_rejected',
    );

    const handle = await starter.start({ ...params, gatewayHost: serverAddress });
    const r = handle.ready;
    assert.equal(handle.virtualIp, r.virtualIp);
    // The proxy's path to the gateway stays on the LAN; everything else goes into the tunnel.
    assert.equal(
      (await routeGet(serverAddress, { netns: cl().ns }))?.dev,
      lab!.cl.ifname,
      'gateway routed into the tunnel',
    );
    assert.equal((await routeGet('9.9.9.9', { netns: cl().ns }))?.dev, r.tunDevice);
    assert.equal(await askWhoami(lab!, cl(), server!.tunAddress, WHOAMI_PORT), r.virtualIp);
    await handle.stop();
    assert.deepEqual(await handle.done, { code: null, detail: 'stopped' });

    // An abort during start stops what was started and rejects.
    const ac = new AbortController();
    const pending = starter.start({ ...params, gatewayHost: serverAddress, signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await assert.rejects(pending, (e) => e instanceof OpenVpnError && e.reason === 'stopped');
    assert.deepEqual(await pidsIn(cl().ns), []);
    await forwarder.stop();
  });
});

/** PIDs of OpenVPN processes inside a namespace. */
async function pidsIn(ns: string): Promise<string[]> {
  const r = await run(['/usr/sbin/ip', 'netns', 'pids', ns]);
  return r.stdout
    .split(/\s+/)
    .filter((p) => /^[0-9]+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('openvpn');
      } catch {
        return false;
      }
    });
}

/** Regular files under the usual temp places, changed since `since`, that contain any secret. */
function filesHolding(secrets: readonly string[], since: number): string[] {
  const hits: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory() && depth < 4) walk(path, depth + 1);
      else if (st.isFile() && st.mtimeMs >= since - 1000 && st.size < 4 * 1024 * 1024) {
        try {
          const text = readFileSync(path, 'latin1');
          if (secrets.some((s) => text.includes(s))) hits.push(path);
        } catch {
          // not readable as a plain file (special files under /run)
        }
      }
    }
  };
  for (const dir of [tmpdir(), '/tmp', '/var/tmp', '/dev/shm', '/run']) walk(dir, 0);
  return [...new Set(hits)];
}
