// Test harness: a real viworks-server (HTTPS, TLS 1.3, embedded PKI) in a temporary data directory,
// and a client that verifies the chain against its root AND pins the SPKI, as real clients do.
// Every log line the server writes is captured in `logs()` so tests can prove no secret leaks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { matchPin, spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { loadConfig, type ServerConfig } from '../config.js';
import type { EdgeLimits } from '../http/edge-limits.js';
import { type RunningServer, startServer } from '../start.js';

export interface HttpReply<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: T;
  readonly text: string;
}

export interface CallInit {
  readonly method?: string;
  /** Sent as JSON unless `raw` is given. */
  readonly json?: unknown;
  readonly raw?: Buffer | string;
  readonly headers?: Record<string, string>;
  /** Source address to connect from (any 127.x.y.z on Linux): tests of per-IP limits and bindings. */
  readonly localAddress?: string;
}

export interface TestServer {
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly ca: string;
  /** The first admin's one-time password (from the start banner). */
  readonly adminPassword: string;
  call<T = unknown>(path: string, init?: CallInit): Promise<HttpReply<T>>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  opts: { limits?: EdgeLimits } = {},
): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'viw-test-srv-'));
  // The data dir holds (test) keys: remove it even when a test dies before calling stop().
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (!overrides.dataDir) process.once('exit', removeDir);
  let captured = '';
  const logStream = new PassThrough();
  logStream.on('data', (c: Buffer) => {
    captured += c.toString();
  });
  const config = {
    ...loadConfig({ env: { VIWORKS_DATA_DIR: dataDir } }),
    listenPort: 0,
    logLevel: 'debug' as const,
    ...overrides,
  };
  const server = await startServer(config, { logStream, ...opts });
  const ca = readFileSync(server.banner.ca_file, 'utf8');
  const call = <T>(path: string, init: CallInit = {}) => httpsCall<T>(server, ca, path, init);
  return {
    server,
    dataDir,
    ca,
    adminPassword: server.banner.first_admin?.one_time_password ?? '',
    call,
    logs: () => captured,
    stop: async () => {
      await server.close();
      if (!overrides.dataDir) {
        process.off('exit', removeDir);
        removeDir();
      }
    },
  };
}

export function httpsCall<T>(
  server: RunningServer,
  ca: string,
  path: string,
  init: CallInit,
): Promise<HttpReply<T>> {
  const body = init.raw ?? (init.json === undefined ? undefined : JSON.stringify(init.json));
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: server.port,
        path,
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        ca,
        minVersion: 'TLSv1.3',
        headers,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
        checkServerIdentity: (_host, cert: PeerCertificate) => {
          matchPin(spkiPinFromCertificate(cert.raw), server.banner.backend_pins);
          return undefined;
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON (e.g. an event stream); keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
