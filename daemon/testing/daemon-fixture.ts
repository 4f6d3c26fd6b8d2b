// Starts a real viworksd (engine + local API on a Unix socket) in a temporary directory: file key
// store (or one the test makes, e.g. a TPM store on swtpm), captured log, the gateway name resolved
// to loopback, fakes for TLS proxy and OpenVPN only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClient } from '../../core/localclient/index.js';
import { type RunningDaemon, startDaemon } from '../daemon.js';
import type { DiagnosticsProbes } from '../engine/diagnostics.js';
import type { NetworkProtectionDeps } from '../engine/engine.js';
import { FileKeyStore } from '../keystore/file-store.js';
import type { KeyStore } from '../keystore/keystore.js';
import type { LocalEdgeLimits } from '../localapi/server.js';
import { DaemonLog } from '../log/daemon-log.js';
import { FakeOpenVpn, FakeTlsProxy } from './fakes.js';

export interface DaemonFixture<S extends KeyStore = FileKeyStore> {
  readonly dir: string;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly keyStore: S;
  readonly daemon: RunningDaemon;
  readonly client: LocalClient;
  readonly tls: FakeTlsProxy;
  readonly openvpn: FakeOpenVpn;
  /** Every log line the daemon wrote (its sink), as JSON lines. */
  logText(): string;
  stop(): Promise<void>;
}

export async function startDaemonFixture<S extends KeyStore = FileKeyStore>(
  opts: {
    /** The key store, made for the fixture's state directory (default: the encrypted file store). */
    keyStore?: (stateDir: string) => S;
    localApiLimits?: LocalEdgeLimits;
    diagnostics?: DiagnosticsProbes;
    /** Network protection made for the fixture's state directory (absent: not managed). */
    network?: (stateDir: string) => NetworkProtectionDeps;
  } = {},
): Promise<DaemonFixture<S>> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-daemon-'));
  const socketPath = join(dir, 'run', 'viworksd.sock');
  const stateDir = join(dir, 'state');
  const keyStore = opts.keyStore
    ? opts.keyStore(stateDir)
    : (new FileKeyStore({ dir: join(stateDir, 'keys') }) as KeyStore as S);
  let captured = '';
  const log = new DaemonLog({
    minLevel: 'debug',
    sink: (line) => {
      captured += `${JSON.stringify(line)}\n`;
    },
  });
  const tls = new FakeTlsProxy();
  const openvpn = new FakeOpenVpn();
  const daemon = await startDaemon({
    socketPath,
    stateDir,
    keyStore,
    log,
    tls,
    openvpn,
    resolveAll: async () => ['127.0.0.1'],
    // Same shape as production (3 retries, doubling), in milliseconds rather than seconds.
    restartPolicy: { retries: 3, baseDelayMs: 10, jitter: 0.25, stableMs: 60_000 },
    ...(opts.localApiLimits ? { localApiLimits: opts.localApiLimits } : {}),
    ...(opts.diagnostics ? { diagnostics: opts.diagnostics } : {}),
    ...(opts.network ? { network: opts.network(stateDir) } : {}),
  });
  return {
    dir,
    socketPath,
    stateDir,
    keyStore,
    daemon,
    client: new LocalClient({ socketPath }),
    tls,
    openvpn,
    logText: () => captured,
    stop: async () => {
      await daemon.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
