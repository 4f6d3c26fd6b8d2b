import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { matchPin, spkiPinFromCertificate } from '../core/crypto/pins.js';
import { loadConfig } from './config.js';
import { type RunningServer, startServer } from './start.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  protocol: string | null;
  pin: string;
}

/** An HTTPS call the way clients make it: chain verified against our root AND the SPKI pinned. */
function call(
  server: RunningServer,
  ca: string,
  path: string,
  init: { method?: string; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: server.port,
        path,
        method: init.method ?? 'GET',
        ca,
        minVersion: 'TLSv1.3',
        headers: init.body ? { 'content-type': 'application/json' } : {},
        checkServerIdentity: (_host, cert: PeerCertificate) => {
          // PeerCertificate.pubkey is the raw EC point, not the SPKI: parse the certificate itself.
          matchPin(spkiPinFromCertificate(cert.raw), server.banner.backend_pins);
          return undefined;
        },
      },
      (res) => {
        const sock = res.socket as TLSSocket;
        const protocol = sock.getProtocol();
        const pin = spkiPinFromCertificate(sock.getPeerCertificate().raw);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : null,
            protocol,
            pin,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('viworks-server start (SQLite, real HTTPS)', () => {
  let dir: string;
  let server: RunningServer;
  let ca: string;
  let logs = '';
  const logStream = new PassThrough();
  logStream.on('data', (c: Buffer) => {
    logs += c.toString();
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-srv-'));
    const config = loadConfig({ env: { VIWORKS_DATA_DIR: dir, VIWORKS_LISTEN_PORT: '1' } });
    server = await startServer({ ...config, listenPort: 0 }, { logStream });
    ca = readFileSync(server.banner.ca_file, 'utf8');
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the URL, both pins and a one-time admin password on first start', () => {
    assert.match(server.banner.url, /^https:\/\/localhost:\d+$/);
    assert.equal(server.banner.database, 'sqlite');
    assert.notEqual(server.banner.backend_pins.primary_b64, server.banner.backend_pins.backup_b64);
    assert.match(server.banner.first_admin?.one_time_password ?? '', /^[A-Za-z0-9]{20}$/);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('answers over TLS 1.3 with the pinned primary key and a strict error shape', async () => {
    const health = await call(server, ca, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.protocol, 'TLSv1.3');
    assert.equal(health.pin, server.banner.backend_pins.primary_b64);
    assert.deepEqual(Object.keys(health.body as object).sort(), ['status', 'version']);
    assert.ok(health.headers['x-trace-id']);

    const missing = await call(server, ca, '/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.body as object).sort(), ['code', 'hint', 'message', 'trace_id']);
    assert.equal((missing.body as { code: string }).code, 'VIW_E_NOT_FOUND');

    const openapi = await call(server, ca, '/openapi.json');
    assert.equal(openapi.status, 200);
    assert.ok((openapi.body as { paths: Record<string, unknown> }).paths['/health']);
  });

  it('refuses TLS 1.2 and ciphersuites outside the allowed two', async () => {
    const attempt = (opts: object) =>
      new Promise<string>((resolve) => {
        const s = connect(
          { host: '127.0.0.1', port: server.port, ca, servername: 'localhost', ...opts },
          () => {
            resolve(`connected ${s.getCipher().name}`);
            s.destroy();
          },
        );
        s.on('error', (e: NodeJS.ErrnoException) => resolve(`refused ${e.code}`));
      });
    assert.match(await attempt({ maxVersion: 'TLSv1.2' }), /^refused/);
    assert.match(await attempt({ ciphers: 'TLS_AES_128_GCM_SHA256' }), /^refused/);
    assert.equal(
      await attempt({ ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }),
      'connected TLS_CHACHA20_POLY1305_SHA256',
    );
  });

  it('never logs the one-time password, and does not show it again on the next start', async () => {
    const password = server.banner.first_admin!.one_time_password;
    await call(server, ca, '/health');
    assert.ok(logs.length > 0, 'the server logged something');
    assert.ok(!logs.includes(password));
    await server.close();
    const config = loadConfig({ env: { VIWORKS_DATA_DIR: dir } });
    server = await startServer({ ...config, listenPort: 0 }, { logStream });
    assert.equal(server.banner.first_admin, null);
    const health = await call(server, ca, '/health');
    assert.equal(health.status, 200, 'same CA and pins after restart');
    assert.ok(!logs.includes(password));
  });
});
