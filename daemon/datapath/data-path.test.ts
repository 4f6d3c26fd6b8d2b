// The client data path with real peers: the daemon's REAL pinned TLS proxy (PinnedTlsProxyStarter)
// and REAL OpenVPN starter (RunnerOpenVpnStarter) carry OpenVPN through TLS 1.3 to a REAL stunnel
// front door in front of a REAL OpenVPN 2.6 server, and traffic reaches a service that exists only
// on the server side of the tunnel.
//
// Topology (scripts/testkit/netns.ts + openvpn-server.ts):
//   client ns: proxy child (127.0.0.1:<port>) ← openvpn client (runner, `netns` option)
//                 │ pinned TLS 1.3 to <gw off-link address>:443 (bypass route keeps it off the tunnel)
//   gateway ns: stunnel :443 → 127.0.0.1:1194 OpenVPN server (pool 10.99.x.0/24) · whoami on 10.99.x.1
// The proxy listens on loopback, so it runs where OpenVPN does: a child process in the client
// namespace (testing/data-path.helpers.ts), fed its parameters on stdin.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { splitOvpn } from '../../core/bootstrap/testing/split.js';
import { listNamespaces, NetnsPair, type NsProcess, run } from '../../scripts/testkit/netns.js';
import {
  askWhoami,
  type Credential,
  OPENVPN,
  ovpnPolicy,
  routeClientViaGateway,
  startOpenVpnServer,
  startWhoami,
  type VpnServer,
} from '../../scripts/testkit/openvpn-server.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { STUNNEL_BINARIES } from '../../scripts/testkit/stunnel.js';
import { generateTlsCryptKey } from '../../server/pki/tls-crypt.js';
import { isRetryable } from '../engine/restart-policy.js';
import { OpenVpnError } from './openvpn/runner.js';
import { RunnerOpenVpnStarter } from './openvpn/starter.js';
import {
  addBackendAddress,
  createLabPki,
  type LabPki,
  ProxyChild,
  startFrontDoor,
} from './testing/data-path.helpers.js';

const peers = needPeers({
  binaries: [STUNNEL_BINARIES[0], OPENVPN, '/usr/sbin/ip'],
  root: true,
  apt: 'stunnel4 openvpn iproute2',
});
const WHOAMI_PORT = 7000;
const OVPN_PORT = 1194;

/** Running (a zombie, already dead and holding nothing, does not count). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('data path: pinned TLS proxy + OpenVPN → stunnel → OpenVPN server', {
  skip: peers.skip,
  timeout: 120_000,
}, () => {
  let lab: NetnsPair | undefined;
  let pki: LabPki;
  let tlsCryptKey = '';
  let gatewayAddress = '';
  let backendAddress = '';
  let server: VpnServer | undefined;
  const stunnels: NsProcess[] = [];
  const proxies: ProxyChild[] = [];
  const openvpnPids: number[] = [];
  const session = () => `s-${randomBytes(6).toString('hex')}`;

  function proxy(port: number, client: Credential): ProxyChild {
    const p = new ProxyChild(lab!.cl, {
      sessionId: 's-test',
      gatewayFqdn: pki.fqdn,
      gatewayHost: gatewayAddress,
      gatewayPort: port,
      gatewayPins: pki.pins,
      // One string from the bootstrap: it verifies the front door AND the OpenVPN server.
      gatewayCaPem: pki.ca.caPem,
      // The same session certificate OpenVPN presents inside: the front door requires one.
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
    });
    proxies.push(p);
    return p;
  }

  function starter(readyTimeoutMs: number): RunnerOpenVpnStarter {
    return new RunnerOpenVpnStarter({ netns: lab!.cl.ns, readyTimeoutMs });
  }

  before(async () => {
    lab = await NetnsPair.create();
    gatewayAddress = await routeClientViaGateway(lab);
    backendAddress = await addBackendAddress(lab);
    pki = await createLabPki();
    tlsCryptKey = generateTlsCryptKey();
    // The OpenVPN server listens only on the gateway namespace's loopback: stunnel is its only door.
    server = await startOpenVpnServer(lab, {
      ca: pki.ca,
      tlsCryptKey,
      listen: '127.0.0.1',
      port: OVPN_PORT,
      clientCnPrefix: 's-',
    });
    stunnels.push(
      await startFrontDoor(lab, lab.gw, pki.frontDoor, {
        host: gatewayAddress,
        port: 443,
        backendPort: OVPN_PORT,
        // The gateway's `verify = 2`: a client certificate from int-vpn (+ root) is required.
        requireClientCert: { caPem: pki.ca.caPem },
      }),
    );
    await startWhoami(lab, lab.gw, server.tunAddress, WHOAMI_PORT);
    // The "backend": whoever connects learns which source address (= which path) it came from.
    await startWhoami(lab, lab.gw, backendAddress, WHOAMI_PORT);
    // Before any tunnel: the client reaches it directly, from its veth address.
    assert.equal(await askWhoami(lab, lab.cl, backendAddress, WHOAMI_PORT), lab.cl.address);
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    const pids = [server?.process.pid, ...stunnels.map((s) => s.pid), ...proxies.map((p) => p.proc.pid)];
    await Promise.all(stunnels.map((s) => s.stop()));
    await server?.stop();
    const names = lab ? [lab.gw.ns, lab.cl.ns] : [];
    await lab?.destroy();
    assert.deepEqual(
      (await listNamespaces()).filter((n) => names.includes(n)),
      [],
      'namespaces left behind',
    );
    for (const pid of [...pids, ...openvpnPids]) assert.ok(!alive(pid), `process ${pid} still running`);
  });

  test('connects through the pinned proxy and stunnel; traffic reaches a server-side-only service; stop() cleans up', async () => {
    const door = stunnels[0]!;
    const doorLogFrom = door.output.length;
    const client = await pki.ca.issue(session());
    const p = proxy(443, client);
    const { port } = await p.event('listening');
    const { ovpn, secrets } = splitOvpn(ovpnPolicy(pki.ca, tlsCryptKey, client, { redirectGateway: true }));
    const wall = Date.now();
    const handle = await starter(20_000).start({
      sessionId: 's-test',
      remoteHost: '127.0.0.1',
      remotePort: port,
      gatewayHost: gatewayAddress,
      bypassHosts: [backendAddress],
      ovpn,
      secrets,
      signal: new AbortController().signal,
    });
    const wallMs = Date.now() - wall;
    const running = await openvpnIn(lab!.cl.ns);
    assert.equal(running.length, 1, 'one OpenVPN client in the client namespace');
    openvpnPids.push(...running);
    const { handshakeMs } = await p.event('established');
    const r = handle.ready;
    console.log(
      `TLS handshake ${handshakeMs?.toFixed(1)} ms; OpenVPN ready ${r.readyMs} ms (start() wall ${wallMs} ms): ${r.virtualIp}/${r.prefixLength} on ${r.tunDevice}`,
    );
    assert.ok(typeof handshakeMs === 'number' && handshakeMs >= 0);
    assert.equal(handle.virtualIp, r.virtualIp);
    assert.ok(r.virtualIp.startsWith(server!.poolPrefix) && r.virtualIp !== server!.tunAddress, r.virtualIp);

    // The whoami listener is bound ONLY on the server's tunnel address inside the gateway namespace:
    // reaching it from the client namespace means the bytes crossed TLS + OpenVPN, and it sees the
    // client's virtual address as the source.
    assert.equal(await askWhoami(lab!, lab!.cl, server!.tunAddress, WHOAMI_PORT), r.virtualIp);
    // The backend bypass: with def1 up, the daemon's control traffic still goes direct (its source
    // is the client's own address, not the tunnel's), so heartbeats and revocations keep flowing.
    assert.equal(await askWhoami(lab!, lab!.cl, backendAddress, WHOAMI_PORT), lab!.cl.address);

    // stunnel terminated TLS 1.3 for this connection and handed it to the OpenVPN server.
    const log = door.output.slice(doorLogFrom);
    assert.match(log, /accepted connection from 10\.213\.[0-9]+\.2/, log);
    assert.match(log, /TLSv1\.3/, log);
    // …after verifying the session certificate the proxy presented (requireCert).
    assert.match(log, /Certificate accepted at depth=0: .*CN=s-/, log);
    assert.match(server!.process.output, /Peer Connection Initiated with \[AF_INET\]127\.0\.0\.1/);

    await handle.stop();
    assert.deepEqual(await handle.done, { code: null, detail: 'stopped' });
    assert.deepEqual(await openvpnIn(lab!.cl.ns), [], 'OpenVPN left running');
    await p.stop();
    const done = await p.event('done', 1000);
    assert.equal(done.code, null);
    assert.ok(!p.proc.running, 'proxy child still running');
  });

  test('kill -9 of the client OpenVPN: done says retryable; a fresh proxy + fresh OpenVPN reconnect, as the engine restart does', async () => {
    const client = await pki.ca.issue(session());
    const { ovpn, secrets } = splitOvpn(ovpnPolicy(pki.ca, tlsCryptKey, client, { redirectGateway: true }));
    const up = async () => {
      const p = proxy(443, client);
      const { port } = await p.event('listening');
      const h = await starter(20_000).start({
        sessionId: 's-test',
        remoteHost: '127.0.0.1',
        remotePort: port,
        gatewayHost: gatewayAddress,
        ovpn,
        secrets,
        signal: new AbortController().signal,
      });
      openvpnPids.push(...(await openvpnIn(lab!.cl.ns)));
      return { p, h };
    };
    const first = await up();
    // The control for the bypass test above: without bypassHosts, the backend is reached through
    // the tunnel (the source is the virtual address).
    assert.equal(await askWhoami(lab!, lab!.cl, backendAddress, WHOAMI_PORT), first.h.virtualIp);

    const [pid] = await openvpnIn(lab!.cl.ns);
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    const info = await first.h.done;
    assert.equal(info.code, 'VIW_E_OPENVPN_FAILED', info.detail);
    assert.equal(info.retryable, true, info.detail);
    assert.ok(isRetryable(info));
    // The proxy carried exactly one connection: it ends with it, and a restart needs a fresh one.
    await first.p.event('done', 10_000);
    await first.p.stop();
    assert.deepEqual(await openvpnIn(lab!.cl.ns), [], 'OpenVPN left running');

    const second = await up();
    assert.equal(await askWhoami(lab!, lab!.cl, server!.tunAddress, WHOAMI_PORT), second.h.virtualIp);
    await second.h.stop();
    await second.p.stop();
    assert.deepEqual(await openvpnIn(lab!.cl.ns), [], 'OpenVPN left running');
  });

  test('a front door on a key outside the pins: VIW_E_PIN_MISMATCH, and OpenVPN never becomes ready', async () => {
    const rogue = await startFrontDoor(lab!, lab!.gw, pki.unpinned, {
      host: gatewayAddress,
      port: 444,
      backendPort: OVPN_PORT,
    });
    stunnels.push(rogue);
    const client = await pki.ca.issue(session());
    const p = proxy(444, client);
    const { port } = await p.event('listening');
    const before = server!.process.output.length;
    const t0 = Date.now();
    const outcome = starter(10_000)
      .start({
        sessionId: 's-test',
        remoteHost: '127.0.0.1',
        remotePort: port,
        gatewayHost: gatewayAddress,
        ...splitOvpn(ovpnPolicy(pki.ca, tlsCryptKey, client)),
        signal: new AbortController().signal,
      })
      .then(
        async (h) => {
          await h.stop();
          return 'ready';
        },
        (e: unknown) => e,
      );
    const done = await p.event('done', 10_000);
    const pinMs = Date.now() - t0;
    assert.equal(done.code, 'VIW_E_PIN_MISMATCH', done.detail);
    const err = await outcome;
    const failMs = Date.now() - t0;
    assert.ok(err instanceof OpenVpnError, `OpenVPN start: ${String(err)}`);
    console.log(
      `pin mismatch reported in ${pinMs} ms; OpenVPN start rejected in ${failMs} ms (${err.reason})`,
    );
    assert.ok(failMs < 15_000, `took ${failMs} ms`);
    assert.ok(!p.events().some((e) => e.event === 'established'));
    assert.doesNotMatch(server!.process.output.slice(before), /Peer Connection Initiated/);
    await p.stop();
    assert.deepEqual(await openvpnIn(lab!.cl.ns), [], 'OpenVPN left running');
  });
});

/** PIDs of OpenVPN processes inside a namespace. */
async function openvpnIn(ns: string): Promise<number[]> {
  const r = await run(['/usr/sbin/ip', 'netns', 'pids', ns]);
  return r.stdout
    .split(/\s+/)
    .filter((p) => /^[0-9]+$/.test(p) && alive(Number(p)))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(OPENVPN);
      } catch {
        return false;
      }
    })
    .map(Number);
}
