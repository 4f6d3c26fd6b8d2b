// The start sequence of the backend: configuration → database (migrated) → embedded PKI → first
// administrator → HTTPS listener. Returns what the banner prints and a close() for tests/signals.
import { join } from 'node:path';
import { buildApp } from './app.js';
import type { StartBanner } from './banner.js';
import type { ServerConfig } from './config.js';
import { openDatabase } from './data/database.js';
import { firstAdminStore } from './data/first-admin-store.js';
import { ensurePrivateDir } from './fs/private-files.js';
import { loadOrCreatePki } from './pki/embedded-pki.js';
import { ensureFirstAdmin } from './services/first-admin.js';
import { VERSION } from './version.js';

export interface RunningServer {
  readonly banner: StartBanner;
  readonly port: number;
  close(): Promise<void>;
}

function splitNames(names: readonly string[]) {
  const isIp = (n: string) => /^[0-9.]+$/.test(n) || n.includes(':');
  return { commonName: 'backend-api', dns: names.filter((n) => !isIp(n)), ips: names.filter(isIp) };
}

export async function startServer(
  config: ServerConfig,
  opts: { adminPassword?: string; logStream?: NodeJS.WritableStream } = {},
): Promise<RunningServer> {
  ensurePrivateDir(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    const pki = await loadOrCreatePki(config.dataDir, splitNames(config.publicNames));
    const firstAdmin = await ensureFirstAdmin(firstAdminStore(database.db), opts.adminPassword);
    const app = await buildApp({
      tls: { chainPem: pki.backendApi.chainPem, keyPem: pki.backendApi.keyPem },
      logLevel: config.logLevel,
      ...(opts.logStream ? { logStream: opts.logStream } : {}),
    });
    await app.listen({ host: config.listenHost, port: config.listenPort });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listenPort;
    const host = config.publicNames[0] ?? config.listenHost;
    const banner: StartBanner = {
      v: 1,
      url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      version: VERSION,
      mode: config.mode,
      database: database.provider,
      data_dir: config.dataDir,
      ca_file: join(config.dataDir, 'pki', 'root.crt'),
      backend_pins: pki.backendApi.pins,
      first_admin: firstAdmin?.oneTimePassword
        ? { username: firstAdmin.username, one_time_password: firstAdmin.oneTimePassword }
        : null,
    };
    return {
      banner,
      port,
      close: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
