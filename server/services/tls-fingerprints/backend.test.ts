// JA3/JA4 at a real backend (SQLite, real HTTPS, the ClientHello gate in front of its listener),
// hit by our own client, by openssl s_client and by raw sockets. Each hostile peer connects from
// its own loopback address, so the per-source windows of one case do not hide another's events.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../../core/audit/event.js';
import { AdminClient } from '../../../core/backendclient/admin-client.js';
import { PinnedTransport, pinnedBackendClient } from '../../../core/backendclient/pinned-transport.js';
import { signRequest } from '../../../core/crypto/request-signing.js';
import { readClientHello } from '../../../core/tls/client-hello.js';
import { fingerprintClientHello, type TlsFingerprints } from '../../../core/tls/fingerprints.js';
import { EDGE_LIMITS } from '../../http/edge-limits.js';
import { startTestServer, type TestServer } from '../../testing/harness.js';
import { createUser, ctxOf, enrolledDesktop, freshIp, loginBody } from '../../testing/identity-fixtures.js';
import { ownClientFingerprints } from './own-clients.js';

const HANDSHAKE_TIMEOUT_MS = 700;

let ts: TestServer;
before(async () => {
  ts = await startTestServer({}, { limits: { ...EDGE_LIMITS, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
});
after(async () => ts?.stop());

async function events(): Promise<AuditEvent[]> {
  const rows = await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
  return rows.map((r) => JSON.parse(r.event) as AuditEvent);
}
const tlsEvents = async () => (await events()).filter((e) => e.action.startsWith('tls.'));

async function waitForEvents(what: string, match: (e: AuditEvent) => boolean, n = 1): Promise<AuditEvent[]> {
  const end = Date.now() + 5000;
  for (;;) {
    const found = (await events()).filter(match);
    if (found.length >= n) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `openssl s_client` with stdin closed: it exits once the handshake is over (or refused). */
function sClient(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', ...args], { timeout: 10_000 }, (_err, stdout, stderr) =>
      resolve(`${stdout}\n${stderr}`),
    );
    child.stdin?.end();
  });
}

/** `openssl s_client` that sends one HTTP request on the connection, then ends. */
function sClientRequest(args: string[], path: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-quiet', ...args],
      { timeout: 10_000 },
      (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
    child.stdin?.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

/** What openssl sends with `args`, read by a local listener (the same ClientHello it sends the backend). */
async function sClientFingerprints(args: string[]): Promise<TlsFingerprints> {
  let got: TlsFingerprints | null = null;
  const catcher = createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const read = readClientHello(buf);
      if (read.state === 'complete') got = fingerprintClientHello(read.hello);
      if (read.state !== 'incomplete') s.destroy();
    });
  });
  await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', r));
  const { port } = catcher.address() as { port: number };
  await sClient(['-connect', `127.0.0.1:${port}`, ...args]);
  catcher.close();
  assert.ok(got, 'openssl sent a ClientHello');
  return got;
}

describe('TLS fingerprints at the backend listener', () => {
  it('our own client: no tls.* event, and its JA3/JA4 on its auth.login event', async () => {
    const { fingerprints: own, missing } = await ownClientFingerprints(ts.ca);
    assert.deepEqual(missing, []);
    await createUser(ts, 'fp-user', 'fingerprint password 1');
    const desktop = await enrolledDesktop(ts, 'fp-user', 'fingerprint password 1');
    const signer = (method: string, path: string, body: Uint8Array) =>
      signRequest(desktop.deviceId, desktop.keys.signing.secretKey, method, path, body);
    for (const host of ['127.0.0.1', 'localhost']) {
      const client = pinnedBackendClient({
        url: `https://${host}:${ts.server.port}`,
        caPem: ts.ca,
        pins: ts.server.banner.backend_pins,
      });
      // The outcome (a code to enter next, or a refusal) does not matter: the event is recorded either way.
      await client
        .login(loginBody('fp-user', 'fingerprint password 1', desktop.deviceId), signer)
        .catch(() => null);
    }
    const logins = await waitForEvents('two auth.login events', (e) => e.action === 'auth.login', 2);
    const [byAddress, byName] = logins.slice(-2);
    const ownBy = (variant: string) => own.find((f) => f.variant === variant)!;
    assert.deepEqual(
      [byAddress!.tls_ja3, byAddress!.tls_ja4],
      [ownBy('by address (no SNI)').ja3, ownBy('by address (no SNI)').ja4],
    );
    assert.deepEqual(
      [byName!.tls_ja3, byName!.tls_ja4],
      [ownBy('by name (SNI)').ja3, ownBy('by name (SNI)').ja4],
    );
    // Enrollment (the test harness's Node client) and both logins: nothing about TLS recorded.
    assert.deepEqual(await tlsEvents(), []);
    // Events outside the identity trail carry them too (server/http/request-facts.ts): a device
    // report (client.*) and an admin login attempt (admin.login).
    const sniClient = pinnedBackendClient({
      url: `https://localhost:${ts.server.port}`,
      caPem: ts.ca,
      pins: ts.server.banner.backend_pins,
    });
    await sniClient.reportSecurityEvent(
      {
        type: 'dns_leak_detected',
        session_id: null,
        detected_at: new Date().toISOString(),
        reason: 'resolver_changed',
        detail: 'resolver 192.0.2.53 on eth0',
      },
      signer,
    );
    await new AdminClient(
      new PinnedTransport({
        url: `https://localhost:${ts.server.port}`,
        caPem: ts.ca,
        pins: ts.server.banner.backend_pins,
      }),
    )
      .login('nobody-here', 'wrong password 12')
      .catch(() => null);
    const sni = ownBy('by name (SNI)');
    for (const action of ['client.dns_leak_detected', 'admin.login']) {
      const [e] = (await waitForEvents(action, (x) => x.action === action)).slice(-1);
      assert.deepEqual([e!.tls_ja3, e!.tls_ja4], [sni.ja3, sni.ja4], action);
    }
  });

  it('an unknown client on the phone app (a browser) is no news; the same client on the API is', async () => {
    const browser = freshIp();
    const api = freshIp();
    const args = ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'];
    await sClientRequest(
      ['-connect', `127.0.0.1:${ts.server.port}`, ...args, '-bind', `${browser}:0`],
      '/phone/',
    );
    await sClientRequest(
      ['-connect', `127.0.0.1:${ts.server.port}`, ...args, '-bind', `${api}:0`],
      '/health',
    );
    const [apiEvent] = await waitForEvents(
      'tls.fingerprint_unknown on the API connection',
      (e) => e.action === 'tls.fingerprint_unknown' && e.src_ip === api,
    );
    assert.equal(apiEvent!.result, 'success');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      (await tlsEvents()).filter((e) => e.src_ip === browser),
      [],
      'nothing for the browser connection',
    );
  });

  it('openssl s_client -tls1_2: a tls.handshake failure whose JA3 has version 771', async () => {
    const src = freshIp();
    const args = ['-tls1_2', '-bind', `${src}:0`];
    const expected = await sClientFingerprints(args);
    assert.match(expected.ja3Text, /^771,/);
    const out = await sClient(['-connect', `127.0.0.1:${ts.server.port}`, ...args]);
    assert.match(out, /alert protocol version|no protocols available|wrong version/i);
    const [failure] = await waitForEvents(
      'tls.handshake',
      (e) => e.action === 'tls.handshake' && e.src_ip === src,
    );
    assert.equal(failure!.result, 'failure');
    assert.equal(failure!.component, 'backend');
    assert.equal(failure!.tls_ja3, expected.ja3);
    assert.equal(failure!.tls_ja3, createHash('md5').update(expected.ja3Text).digest('hex'));
    assert.equal(failure!.tls_ja4, expected.ja4);
    assert.match(failure!.tls_ja4 ?? '', /^t12/);
    assert.match(failure!.error_msg ?? '', /TLS 1\.3 only/);
    const [unknown] = await waitForEvents(
      'tls.fingerprint_unknown',
      (e) => e.action === 'tls.fingerprint_unknown' && e.src_ip === src,
    );
    assert.equal(unknown!.result, 'failure');
  });

  it('openssl s_client -tls1_3 with an unusual cipher list: one tls.fingerprint_unknown after several connects', async () => {
    const src = freshIp();
    const args = ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384', '-bind', `${src}:0`];
    const expected = await sClientFingerprints(args);
    for (let i = 0; i < 3; i++) {
      const out = await sClient(['-connect', `127.0.0.1:${ts.server.port}`, ...args]);
      assert.match(out, /TLS_AES_256_GCM_SHA384/, 'the handshake completed');
    }
    await waitForEvents(
      'tls.fingerprint_unknown',
      (e) => e.action === 'tls.fingerprint_unknown' && e.src_ip === src,
    );
    await new Promise((r) => setTimeout(r, 200));
    const mine = (await tlsEvents()).filter((e) => e.src_ip === src);
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.deepEqual(
      [mine[0]!.action, mine[0]!.result, mine[0]!.tls_ja4, mine[0]!.tls_ja3, mine[0]!.proto],
      ['tls.fingerprint_unknown', 'success', expected.ja4, expected.ja3, 'TLSv1.3'],
    );
    assert.match(expected.ja4, /^t13i02/, 'one suite and the renegotiation SCSV (00ff), no SNI');
  });

  it('a slowloris sending one byte is cut at the handshake timeout, and recorded', async () => {
    const src = freshIp();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port: ts.server.port, localAddress: src });
      s.on('error', () => undefined);
      s.on('connect', () => s.write(Buffer.from([0x16])));
      s.on('close', () => resolve());
    });
    const took = performance.now() - started;
    assert.ok(took >= HANDSHAKE_TIMEOUT_MS - 50 && took < HANDSHAKE_TIMEOUT_MS + 2000, `${took} ms`);
    const [e] = await waitForEvents('tls.handshake', (x) => x.action === 'tls.handshake' && x.src_ip === src);
    assert.equal(e!.error_msg, 'no ClientHello in time');
  });

  it('an oversized ClientHello is refused at once', async () => {
    const src = freshIp();
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port: ts.server.port, localAddress: src });
      s.on('error', () => undefined);
      s.on('connect', () => s.write(Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00])));
      s.on('close', () => resolve());
    });
    assert.ok(performance.now() - started < HANDSHAKE_TIMEOUT_MS, 'before any timeout');
    const [e] = await waitForEvents('tls.handshake', (x) => x.action === 'tls.handshake' && x.src_ip === src);
    assert.equal(e!.error_msg, 'ClientHello too large');
  });
});
