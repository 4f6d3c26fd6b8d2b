// The front-door capture with real peers (root: tcpdump opens the interfaces): a real tcpdump on
// loopback in front of a real stunnel configured like the gateway's (TLS 1.3, client certificate
// required), and three real clients — the daemon's own TLS proxy (its real context, the session's
// certificate), `openssl s_client -tls1_2` and `openssl s_client -tls1_3`. A recording relay on the
// front-door port keeps what each client really sent, read from its socket, not from packets; the
// capture's lines must carry each client's port and exactly the JA3/JA4 core/tls computes from those
// bytes. A connection that sends nothing makes no line; both link types tcpdump writes here (`any`:
// LINUX_SLL2, `lo`: EN10MB) are read; tcpdump is gone after stop(), and the log is 0600.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fingerprintClientHello } from '../../core/tls/fingerprints.js';
import { type FrontDoorHello, frontDoorHello } from '../../core/tls/front-door-hello.js';
import { startTlsProxy } from '../../daemon/datapath/tls-proxy.js';
import { run } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import {
  createGatewayTlsFixture,
  type GatewayTlsFixture,
  startStunnel,
  type TestStunnel,
} from '../../scripts/testkit/stunnel.js';
import { type FrontDoorCapture, startFrontDoorCapture, TCPDUMP_BIN } from './capture.js';
import { type RecordingRelay, startRecordingRelay } from './testing/recording-relay.js';

const OPENSSL = '/usr/bin/openssl';
const peers = needPeers({
  binaries: [TCPDUMP_BIN, OPENSSL, '/usr/bin/stunnel4'],
  root: true,
  apt: 'tcpdump openssl stunnel4',
});

async function linesIn(path: string, n: number, timeoutMs = 10_000): Promise<FrontDoorHello[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // not created yet
    }
    const lines = text.split('\n').filter((l) => l !== '');
    if (lines.length >= n || Date.now() > deadline) {
      return lines.map((l) => frontDoorHello.parse(JSON.parse(l)));
    }
    await sleep(50);
  }
}

describe('front-door capture against real clients', { skip: peers.skip, timeout: 120_000 }, () => {
  let fx: GatewayTlsFixture;
  let echo: Server;
  let gw: TestStunnel;
  let relay: RecordingRelay;
  let dir: string;
  const captures: FrontDoorCapture[] = [];
  const errors: Error[] = [];

  before(async () => {
    fx = await createGatewayTlsFixture();
    echo = createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoPort = (echo.address() as { port: number }).port;
    gw = await startStunnel({
      mode: 'server',
      ...fx.primary,
      backendPort: echoPort,
      requireClientCert: { caPem: fx.clients.caPem, crlPem: fx.clients.crlPem },
    });
    relay = await startRecordingRelay(gw.port);
    dir = await mkdtemp(join(tmpdir(), 'viw-front-door-'));
  });
  after(async () => {
    await Promise.all(captures.map((c) => c.stop()));
    await relay?.close();
    await gw?.stop();
    echo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const capture = async (iface: string, out: string) => {
    const c = startFrontDoorCapture({ port: relay.port, iface, out, onError: (e) => errors.push(e) });
    captures.push(c);
    await c.ready;
    return c;
  };

  /** Runs one client and returns the port the relay saw it come from. */
  const client = async (go: () => Promise<unknown>): Promise<number> => {
    const before = new Set(relay.hellos.keys());
    await go();
    for (let i = 0; i < 100; i++) {
      const fresh = [...relay.hellos.keys()].filter((p) => !before.has(p));
      if (fresh.length === 1) return fresh[0]!;
      await sleep(20);
    }
    throw new Error('the relay saw no ClientHello');
  };

  const viaProxy = async () => {
    const p = await startTlsProxy({
      gatewayHost: fx.fqdn,
      gatewayAddress: '127.0.0.1',
      gatewayPort: relay.port,
      caPem: fx.caPem,
      pins: fx.pins,
      clientCertPem: fx.clients.session.certPem,
      clientKeyPem: fx.clients.session.keyPem,
      connectTimeoutMs: 5000,
    });
    const local = connect({ host: '127.0.0.1', port: p.port });
    local.on('error', () => {});
    await p.ready; // the gateway (stunnel) accepted the session's certificate: a real, complete handshake
    local.destroy();
    p.close();
    await p.closed;
  };
  const sClient = (version: '-tls1_2' | '-tls1_3') => () =>
    run([OPENSSL, 's_client', '-connect', `127.0.0.1:${relay.port}`, version, '-servername', fx.fqdn], {
      input: '',
      timeoutMs: 10_000,
    });

  test('three clients: three lines with their ports and the fingerprints of what they sent (-i any)', async () => {
    const out = join(dir, 'any.jsonl');
    const cap = await capture('any', out);
    const proxyPort = await client(viaProxy);
    const tls12Port = await client(sClient('-tls1_2'));
    // A connection that sends nothing (a port probe) is no ClientHello.
    const probe = connect({ host: '127.0.0.1', port: relay.port });
    probe.on('error', () => {});
    await new Promise((resolve) => probe.once('connect', resolve));
    probe.destroy();
    const tls13Port = await client(sClient('-tls1_3'));

    const lines = await linesIn(out, 3);
    await sleep(300); // nothing more may come
    assert.deepEqual(await linesIn(out, 4, 0), lines);
    const expected = [proxyPort, tls12Port, tls13Port].map((port) => {
      const f = fingerprintClientHello(relay.hellos.get(port)!);
      return { src_ip: '127.0.0.1', src_port: port, dst_port: relay.port, ja3: f.ja3, ja4: f.ja4 };
    });
    assert.deepEqual(
      lines.map(({ src_ip, src_port, dst_port, ja3, ja4 }) => ({ src_ip, src_port, dst_port, ja3, ja4 })),
      expected,
    );
    // What each client is, as the fingerprints say it: the proxy offers TLS 1.3 only with SNI, the
    // gateway's two suites and the renegotiation SCSV OpenSSL always adds.
    const [proxy, tls12, tls13] = lines;
    assert.deepEqual(relay.hellos.get(proxyPort)?.cipherSuites, [0x1302, 0x1303, 0x00ff]);
    assert.match(proxy!.ja4, /^t13d03/);
    assert.deepEqual([proxy!.tls_version, tls12!.tls_version, tls13!.tls_version], ['1.3', '1.2', '1.3']);
    assert.notEqual(tls13!.ja4, proxy!.ja4);
    for (const l of lines) assert.ok(Math.abs(Date.parse(l.ts) - Date.now()) < 60_000);
    assert.equal(statSync(out).mode & 0o777, 0o600);

    const pid = cap.pid;
    assert.ok(pid);
    await cap.stop();
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    assert.deepEqual(errors, []);
  });

  test('on the loopback interface (Ethernet link type) too', async () => {
    const out = join(dir, 'lo.jsonl');
    const cap = await capture('lo', out);
    const port = await client(sClient('-tls1_3'));
    const [line, ...more] = await linesIn(out, 1);
    assert.deepEqual(more, []);
    assert.equal(line?.src_port, port);
    assert.equal(line?.ja4, fingerprintClientHello(relay.hellos.get(port)!).ja4);
    await cap.stop();
    assert.deepEqual(errors, []);
  });

  test('a tcpdump that cannot start rejects ready; bad options throw before anything runs', async () => {
    const c = startFrontDoorCapture({
      port: relay.port,
      iface: 'viw-no-such0',
      out: join(dir, 'none.jsonl'),
      onError: () => {},
    });
    await assert.rejects(c.ready, { code: 'VIW_E_INTERNAL' });
    await c.stop();
    for (const [port, iface] of [
      [0, 'lo'],
      [70000, 'lo'],
      [1.5, 'lo'],
      [443, 'lo; rm -rf /'],
      [443, '-w'],
    ] as const) {
      assert.throws(() => startFrontDoorCapture({ port, iface, out: join(dir, 'x'), onError: () => {} }), {
        code: 'VIW_E_CONFIG',
      });
    }
  });
});
