// Child process for bench/daemon.bench.ts: a real viworksd (startDaemon, file key store, real SPA,
// preflight, HPKE and backend calls) with fakes for the TLS proxy and OpenVPN only, so its RSS
// can be read after a connect without a gateway. Usage: daemon.child.ts SOCKET STATE_DIR.
// Prints "ready" on stdout once the socket listens; SIGTERM closes it.
import { startDaemon } from '../daemon/daemon.js';
import { FileKeyStore } from '../daemon/keystore/file-store.js';
import { DaemonLog } from '../daemon/log/daemon-log.js';
import { FakeOpenVpn, FakeTlsProxy } from '../daemon/testing/fakes.js';

const [socketPath, stateDir] = process.argv.slice(2);
if (!socketPath || !stateDir) throw new Error('usage: daemon.child.ts SOCKET STATE_DIR');
process.umask(0o077);
const daemon = await startDaemon({
  socketPath,
  stateDir,
  keyStore: new FileKeyStore({ dir: `${stateDir}/keys` }),
  log: new DaemonLog({ minLevel: 'error', sink: () => {} }),
  tls: new FakeTlsProxy(),
  openvpn: new FakeOpenVpn(),
  resolveHost: async () => '127.0.0.1',
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  daemon.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
