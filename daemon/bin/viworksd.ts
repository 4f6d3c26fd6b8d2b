#!/usr/bin/env node
// viworksd — the privileged ViWorkS client daemon. Flags:
//   --socket PATH          local API socket (default $VIWORKSD_SOCKET or /run/viworks/viworksd.sock)
//   --state-dir DIR        device record and fallback key files (default /var/lib/viworks)
//   --keystore KIND        auto | os-keyring | kernel-keyring | file (default auto; $VIWORKSD_KEYSTORE)
//   --foreground           stay attached (the only mode today; systemd runs it as Type=simple)
//   --allow-unprivileged   run without root (development and tests only)
//   --log-level LEVEL      debug | info | warn | error (default info)
// Hardening Node allows: umask 077 (every file the daemon creates is private), a fixed process
// title, stdin closed. SIGTERM/SIGINT: disconnect, wipe secrets, remove the socket, exit 0.
import { parseArgs } from 'node:util';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { resolveSocketPath } from '../../core/localclient/paths.js';
import { startDaemon } from '../daemon.js';
import { RunnerOpenVpnStarter } from '../datapath/openvpn/starter.js';
import { PinnedTlsProxyStarter } from '../datapath/tls-proxy-starter.js';
import { parseKeyStoreChoice } from '../keystore/select.js';
import { DaemonLog, type LogLevel } from '../log/daemon-log.js';

const USAGE =
  'usage: viworksd [--socket PATH] [--state-dir DIR] [--keystore auto|os-keyring|kernel-keyring|file]\n' +
  '                [--foreground] [--allow-unprivileged] [--log-level debug|info|warn|error]\n';

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    process.stderr.write(`viworksd: ${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !args['allow-unprivileged']) {
    process.stderr.write(
      'viworksd: must run as root (it manages tunnels and the device keys); see --allow-unprivileged\n',
    );
    return 77;
  }
  process.umask(0o077);
  process.title = 'viworksd';
  process.stdin.destroy();

  const level = (args['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`viworksd: --log-level: unknown level\n${USAGE}`);
    return 64;
  }
  const log = new DaemonLog({ minLevel: level });
  const daemon = await startDaemon({
    socketPath: resolveSocketPath(args.socket),
    stateDir: args['state-dir'] ?? '/var/lib/viworks',
    keyStoreChoice: parseKeyStoreChoice(args.keystore ?? process.env.VIWORKSD_KEYSTORE),
    log,
    // OpenVPN runs as a child with its whole config on stdin; its sanitized lines go to the debug log.
    openvpn: new RunnerOpenVpnStarter({ onLog: (line) => log.debug(`openvpn: ${line}`) }),
    tls: new PinnedTlsProxyStarter({ onLog: (line) => log.info(line) }),
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`received ${signal}: shutting down`);
      const force = setTimeout(() => resolve(1), 15_000);
      force.unref();
      daemon.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

function parse() {
  return parseArgs({
    options: {
      socket: { type: 'string' },
      'state-dir': { type: 'string' },
      keystore: { type: 'string' },
      foreground: { type: 'boolean' },
      'allow-unprivileged': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Codes and safe details only: never a stack that could carry request data.
    const text = isViworksError(err)
      ? `${err.code}: ${err.message} ${err.details.join('; ')}`
      : 'internal error';
    process.stderr.write(`viworksd: cannot start: ${text}\n`);
    process.exit(isViworksError(err) && err.code === 'VIW_E_CONFIG' ? 78 : 70);
  },
);
