// The fingerprints of our own clients, measured rather than written down: the daemon, the CLI and
// the phone simulator all reach the backend through PinnedTransport (core/backendclient), so at
// start the backend makes that very transport say hello to a listener inside this process and
// reads what it sent. The allowlist so follows the Node/OpenSSL version and any change to the
// transport's TLS options, with nothing to update by hand.
//
// Two hellos: with SNI (the backend dialled by name) and without (dialled by address: Node sends
// no SNI for an IP literal). Browsers — the admin panel, the phone app — are not ours to measure:
// their fingerprints go in config.tls.fingerprintAllowlist.
//
// A third hello is the daemon's pinned TLS proxy's, which never talks to the backend but to the
// gateways' front doors, where the gateways' captures fingerprint it (docs/detections.md): its
// context's constant options (TLS 1.3 only, the gateway's two suites; core/tls/gateway-client-options.ts,
// the very object the daemon builds its context from) with SNI, as the proxy always names the
// gateway. The session's client certificate it also carries is not in a TLS 1.3 ClientHello.
import { createServer, type Socket } from 'node:net';
import { createSecureContext, connect as tlsConnect } from 'node:tls';
import { BACKEND_ROUTES } from '../../../core/api/backend-routes.js';
import { PinnedTransport } from '../../../core/backendclient/pinned-transport.js';
import { readClientHello } from '../../../core/tls/client-hello.js';
import { fingerprintClientHello, type TlsFingerprints } from '../../../core/tls/fingerprints.js';
import { GATEWAY_CLIENT_TLS_OPTIONS } from '../../../core/tls/gateway-client-options.js';

export interface OwnClientFingerprint extends TlsFingerprints {
  readonly variant: 'by name (SNI)' | 'by address (no SNI)' | 'gateway proxy';
}

const TIMEOUT_MS = 5_000;
/** Never checked: the hello is read and the connection dropped before any certificate is sent. */
const UNUSED_PINS = { primary_b64: `${'A'.repeat(43)}=`, backup_b64: `${'B'.repeat(43)}=` };

export type OwnClientVariant = OwnClientFingerprint['variant'];

/**
 * Runs our client transport against a loopback listener twice, then the gateway proxy's context
 * once, and fingerprints what each sent. A variant that could not be measured (say `localhost` does not resolve here) is returned in
 * `missing`: the backend still starts, and that client's connections count as unknown.
 */
export async function ownClientFingerprints(
  caPem: string,
): Promise<{ fingerprints: OwnClientFingerprint[]; missing: OwnClientVariant[] }> {
  const hellos: TlsFingerprints[] = [];
  const server = createServer((socket) => readOneHello(socket, hellos));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  try {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const fingerprints: OwnClientFingerprint[] = [];
    const missing: OwnClientVariant[] = [];
    for (const [variant, host] of [
      ['by name (SNI)', 'localhost'],
      ['by address (no SNI)', '127.0.0.1'],
    ] as const) {
      const before = hellos.length;
      const transport = new PinnedTransport(
        { url: `https://${host}:${port}`, caPem, pins: UNUSED_PINS },
        { connectTimeoutMs: TIMEOUT_MS, timeoutMs: TIMEOUT_MS },
      );
      // The listener hangs up after the hello: the request fails, as intended.
      await transport.send({ method: 'GET', path: BACKEND_ROUTES.health.path }).catch(() => undefined);
      const hello = hellos[before];
      if (hello) fingerprints.push({ ...hello, variant });
      else missing.push(variant);
    }
    const proxyAt = hellos.length;
    await gatewayProxyHello(port, caPem);
    const proxy = hellos[proxyAt];
    if (proxy) fingerprints.push({ ...proxy, variant: 'gateway proxy' });
    else missing.push('gateway proxy');
    return { fingerprints, missing };
  } finally {
    server.close();
  }
}

/** Says hello with the proxy's context; settles when the listener hangs up (or the timeout). */
function gatewayProxyHello(port: number, caPem: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      // Any name: only its presence is in the fingerprints (JA4 `d`, JA3's extension list).
      servername: 'gateway.viworks.invalid',
      secureContext: createSecureContext({ ca: caPem, ...GATEWAY_CLIENT_TLS_OPTIONS }),
      timeout: TIMEOUT_MS,
    });
    socket.on('error', () => undefined);
    socket.on('timeout', () => socket.destroy());
    socket.once('close', () => resolve());
  });
}

function readOneHello(socket: Socket, into: TlsFingerprints[]): void {
  let buffered = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.setTimeout(TIMEOUT_MS, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const read = readClientHello(buffered);
    if (read.state === 'incomplete') return;
    if (read.state === 'complete') into.push(fingerprintClientHello(read.hello));
    socket.destroy();
  });
}
