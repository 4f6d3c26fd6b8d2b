// Child process for bench/daemon-memory.ts, run on the BUILT daemon (dist/, no TypeScript loader in
// the process: tsx's hooks thread alone would add megabytes to the RSS being measured). A real
// startDaemon (file key store, real SPA, preflight, HPKE and backend calls) with inline fakes for
// the TLS proxy and OpenVPN only — the same two daemon/testing/fakes.ts replaces, which dist/ does
// not carry. The bench runs it as is (the `tsc` form) and bundled with the daemon's own bundle
// options (the `bundle` form). Usage: node bench/daemon-memory.child.mjs SOCKET STATE_DIR MEMORY_FILE.
// Prints "ready" once the socket listens. SIGUSR2: writes process.memoryUsage() and the V8 heap
// spaces as JSON to MEMORY_FILE, then "mem" on stdout. SIGTERM closes the daemon.
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { startDaemon } from '../dist/daemon/daemon.js';
import { FileKeyStore } from '../dist/daemon/keystore/file-store.js';
import { DaemonLog } from '../dist/daemon/log/daemon-log.js';

const [socketPath, stateDir, memoryFile] = process.argv.slice(2);
if (!socketPath || !stateDir || !memoryFile) {
  throw new Error('usage: daemon-memory.child.mjs SOCKET STATE_DIR MEMORY_FILE');
}

/** Resolves `done` once stop() was called: a component that runs until told to stop. */
function stoppable() {
  let settle;
  const done = new Promise((r) => {
    settle = r;
  });
  return { done, stop: async () => settle({ code: null, detail: 'stopped' }) };
}

const tls = {
  start: async () => {
    const counters = { bytesIn: 0, bytesOut: 0, lastActivityMs: performance.now() };
    return Object.assign(stoppable(), {
      listenHost: '127.0.0.1',
      listenPort: 11194,
      handshakeMs: 1,
      establishedAt: performance.now(),
      traffic: () => ({ ...counters }),
    });
  },
};
const openvpn = {
  start: async () => Object.assign(stoppable(), { virtualIp: '10.8.0.6', tunDevice: 'viworks0' }),
};

process.umask(0o077);
const daemon = await startDaemon({
  socketPath,
  stateDir,
  keyStore: new FileKeyStore({ dir: `${stateDir}/keys` }),
  log: new DaemonLog({ minLevel: 'error', sink: () => {} }),
  tls,
  openvpn,
  resolveHost: async () => '127.0.0.1',
});
process.stdout.write('ready\n');
process.on('SIGUSR2', () => {
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
  );
  const code = v8.getHeapCodeStatistics();
  writeFileSync(memoryFile, JSON.stringify({ usage: process.memoryUsage(), spaces, code }));
  process.stdout.write('mem\n');
});
process.once('SIGTERM', () => {
  daemon.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
