#!/usr/bin/env node
// viworksd — the privileged ViWorkS client daemon. Flags:
//   --socket PATH          local API socket (default $VIWORKSD_SOCKET or /run/viworks/viworksd.sock)
//   --state-dir DIR        device record and fallback key files (default /var/lib/viworks)
//   --keystore KIND        auto | os-keyring | kernel-keyring | file (default auto; $VIWORKSD_KEYSTORE)
//   --foreground           stay attached (the only mode today; systemd runs it as Type=simple)
//   --allow-unprivileged   run without root (development and tests only)
//   --log-level LEVEL      debug | info | warn | error (default info)
//   --dns-method M         auto | systemd-resolved | resolvconf | file: how pushed DNS is applied
//                          (default auto: resolved when it runs, else resolvconf, else the file)
//   --resolv-conf PATH     the resolver file the `file` method manages (default /etc/resolv.conf)
//   --leak-check-interval S  seconds between leak checks while connected (default 30, 1–3600)
//   --captive-probe-url U  http:// URL answering 204 on an open network, or `off`
//                          (default http://connectivity-check.ubuntu.com/)
// Network protection (the kill switch, pushed DNS, leak checks) is managed on Linux; the kill
// switch needs nft (nftables): without it, modes session/always refuse to connect (fail closed).
// Hardening Node allows: umask 077 (every file the daemon creates is private), a fixed process
// title, stdin closed. SIGTERM/SIGINT: disconnect, wipe secrets, remove the socket, exit 0.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { resolveSocketPath } from '../../core/localclient/paths.js';
import { startDaemon } from '../daemon.js';
import type { DnsMethod } from '../datapath/dns/dns-backend.js';
import { selectDnsBackend } from '../datapath/dns/select-dns.js';
import { NFT, NftKillSwitch } from '../datapath/killswitch/nft-kill-switch.js';
import { TUNNEL_INTERFACE } from '../datapath/openvpn/config.js';
import { RunnerOpenVpnStarter } from '../datapath/openvpn/starter.js';
import { PinnedTlsProxyStarter } from '../datapath/tls-proxy-starter.js';
import { checkProbeUrl, DEFAULT_CAPTIVE_PROBE_URL } from '../engine/captive-portal.js';
import type { NetworkProtectionDeps } from '../engine/engine.js';
import { parseKeyStoreChoice } from '../keystore/select.js';
import { DaemonLog, type LogLevel } from '../log/daemon-log.js';

const USAGE =
  'usage: viworksd [--socket PATH] [--state-dir DIR] [--keystore auto|os-keyring|kernel-keyring|file]\n' +
  '                [--foreground] [--allow-unprivileged] [--log-level debug|info|warn|error]\n' +
  '                [--dns-method auto|systemd-resolved|resolvconf|file] [--resolv-conf PATH]\n' +
  '                [--leak-check-interval SECONDS] [--captive-probe-url URL|off]\n';

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
  const stateDir = args['state-dir'] ?? '/var/lib/viworks';
  let network: NetworkProtectionDeps | undefined;
  try {
    // Unprivileged (development, benchmarks): nothing of the network can be managed; said in the log.
    network = process.platform === 'linux' && isRoot ? networkProtection(args, stateDir) : undefined;
  } catch (err) {
    process.stderr.write(`viworksd: ${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  if (!network) log.warn('network protection is not managed (not Linux, or not root): kill switch off');
  const daemon = await startDaemon({
    socketPath: resolveSocketPath(args.socket),
    stateDir,
    ...(network ? { network } : {}),
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

/** The kill switch (nft), the pushed DNS method, the leak checks and the captive portal probe. */
function networkProtection(args: ReturnType<typeof parse>, stateDir: string): NetworkProtectionDeps {
  const method = args['dns-method'] ?? 'auto';
  if (!['auto', 'systemd-resolved', 'resolvconf', 'file'].includes(method))
    throw new Error('--dns-method: auto, systemd-resolved, resolvconf or file');
  const interval = Number(args['leak-check-interval'] ?? 30);
  if (!Number.isInteger(interval) || interval < 1 || interval > 3600)
    throw new Error('--leak-check-interval: whole seconds, 1 to 3600');
  const probe = args['captive-probe-url'] ?? DEFAULT_CAPTIVE_PROBE_URL;
  if (probe !== 'off') checkProbeUrl(probe);
  return {
    killSwitch: existsSync(NFT) ? new NftKillSwitch() : null,
    dns: selectDnsBackend({
      stateDir,
      method: method as DnsMethod | 'auto',
      ...(args['resolv-conf'] ? { resolvConfPath: args['resolv-conf'] } : {}),
    }),
    tunnelInterface: TUNNEL_INTERFACE,
    leakCheckIntervalS: interval,
    captivePortal: probe === 'off' ? null : { url: probe },
  };
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
      'dns-method': { type: 'string' },
      'resolv-conf': { type: 'string' },
      'leak-check-interval': { type: 'string' },
      'captive-probe-url': { type: 'string' },
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
