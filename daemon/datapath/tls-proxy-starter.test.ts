// The engine's view of the real proxy, against the real stunnel: start() listens, OpenVPN's side
// connects, bytes flow through the pinned TLS 1.3 tunnel; a gateway on a key that matches neither
// pin ends `done` with VIW_E_PIN_MISMATCH (the code the engine refuses to retry) and the presented
// key's pin (for the engine's client.pin_mismatch report).
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { spkiPinFromKey } from '../../core/crypto/pins.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import {
  createGatewayTlsFixture,
  type GatewayTlsFixture,
  STUNNEL_BINARIES,
  startStunnel,
  type TestStunnel,
} from '../../scripts/testkit/stunnel.js';
import { PinnedTlsProxyStarter } from './tls-proxy-starter.js';

const peer = needPeers({ binaries: [STUNNEL_BINARIES[0]], apt: 'stunnel4' });

describe('PinnedTlsProxyStarter against real stunnel', { skip: peer.skip }, () => {
  let fx: GatewayTlsFixture;
  let echo: Server;
  let echoPort: number;
  const tunnels: TestStunnel[] = [];

  before(async () => {
    fx = await createGatewayTlsFixture();
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    await Promise.all(tunnels.map((t) => t.stop()));
    echo?.close();
  });

  async function gatewayWith(identity: GatewayTlsFixture['primary']) {
    // Like the gateway (`verify = 2`): a client certificate from int-vpn is required.
    const t = await startStunnel({
      mode: 'server',
      ...identity,
      backendPort: echoPort,
      requireClientCert: { caPem: fx.clients.caPem, crlPem: fx.clients.crlPem },
    });
    tunnels.push(t);
    return t;
  }

  function params(port: number, signal: AbortSignal) {
    return {
      sessionId: 's-test',
      gatewayFqdn: fx.fqdn,
      gatewayHost: '127.0.0.1',
      gatewayPort: port,
      gatewayPins: fx.pins,
      gatewayCaPem: fx.caPem,
      clientCertPem: fx.clients.session.certPem,
      clientKeyPem: Buffer.from(fx.clients.session.keyPem),
      signal,
    };
  }

  it('carries bytes once the pinned gateway is verified, and stops cleanly', async () => {
    const gw = await gatewayWith(fx.primary);
    const handle = await new PinnedTlsProxyStarter().start(params(gw.port, new AbortController().signal));
    assert.equal(handle.listenHost, '127.0.0.1');
    assert.equal(handle.establishedAt, null, 'it dials when OpenVPN connects');
    const dialed = performance.now();
    const sock = connect(handle.listenPort, '127.0.0.1');
    await once(sock, 'connect');
    sock.write('ping-through-tls');
    const [data] = await once(sock, 'data');
    assert.equal(String(data), 'ping-through-tls');
    assert.ok(typeof handle.handshakeMs === 'number' && handle.handshakeMs >= 0);
    const at = handle.establishedAt;
    assert.ok(at !== null && at >= dialed && at <= performance.now(), 'established after the dial');
    sock.destroy();
    await handle.stop();
    assert.equal((await handle.done).code, null);
  });

  it('ends with VIW_E_PIN_MISMATCH for a gateway key outside the pins, before any byte reaches it', async () => {
    const gw = await gatewayWith(fx.otherKey);
    const handle = await new PinnedTlsProxyStarter().start(params(gw.port, new AbortController().signal));
    const sock = connect(handle.listenPort, '127.0.0.1');
    sock.on('error', () => undefined);
    await once(sock, 'connect');
    sock.write('must-not-arrive');
    const info = await handle.done;
    assert.equal(info.code, 'VIW_E_PIN_MISMATCH');
    assert.equal(
      info.presentedPin,
      spkiPinFromKey(createPublicKey(fx.otherKey.keyPem)),
      "the stranger's key",
    );
    assert.ok(!Object.values(fx.pins).includes(info.presentedPin));
    assert.equal(handle.establishedAt, null);
    sock.destroy();
  });

  it('stops when the engine aborts the connect', async () => {
    const gw = await gatewayWith(fx.primary);
    const ac = new AbortController();
    const handle = await new PinnedTlsProxyStarter().start(params(gw.port, ac.signal));
    ac.abort();
    const info = await handle.done;
    assert.notEqual(info.code, 'VIW_E_PIN_MISMATCH');
    assert.equal(info.presentedPin, undefined);
  });
});
