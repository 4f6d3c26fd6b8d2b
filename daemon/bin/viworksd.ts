#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1
// viworksd — the privileged ViWorkS client daemon. Flags:
//   --socket PATH          local API socket (default $VIWORKSD_SOCKET or /run/viworks/viworksd.sock)
//   --state-dir DIR        device record and fallback key files (default /var/lib/viworks)
//   --keystore KIND        auto | tpm2 | os-keyring | kernel-keyring | file (default auto;
//                          $VIWORKSD_KEYSTORE); auto: the enrolled device's store, else TPM 2.0,
//                          OS keyring, encrypted file (daemon/keystore/select.ts)
//   --tpm2-tcti TCTI       the TPM for tpm2-tools (default device:/dev/tpmrm0; $VIWORKSD_TPM2_TCTI),
//                          e.g. swtpm:host=127.0.0.1,port=2321 for a software TPM
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
// title, stdin closed. On Linux, before the socket opens (daemon/hardening/): not dumpable, core
// limit 0, no_new_privs; only the pages of secret buffers are locked (posture mlock `secrets`: V8
// aborts when the whole process is). A step that does not hold refuses the start (exit 70). A
// tracer (debugger, strace) attached at start refuses it — an enrolled device first reports
// client.debugger_attached to the backend (at most 3 s; no engine, no socket) — and one seen later
// (checked every 2 s) ends the session, reports the same and exits: exit 70 with a generic error
// either way (the log says hardening.tracer_detected).
// SIGTERM/SIGINT: disconnect, wipe secrets, remove the socket, exit 0.
// Node flags (the shebang; a launch that names node itself must pass them too): 1 MiB young
// generation semi-spaces and one V8 worker thread, ~18 MiB less RSS at the same CPU per GB through
// the TLS proxy (measured: bench/daemon-memory.ts, where DAEMON_V8_FLAGS says why each).
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setSecretPageLocker } from '../../core/crypto/bytes.js';
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
import { libcSyscalls } from '../hardening/libc.js';
import {
  applyHardening,
  type HardeningState,
  notHardened,
  readTracerPid,
  startVerdict,
} from '../hardening/process-hardening.js';
import { reportTracerAtStart } from '../hardening/tracer-at-start.js';
import { TracerWatch, tracerDetail } from '../hardening/tracer-watch.js';
import { parseKeyStoreChoice, selectKeyStore } from '../keystore/select.js';
import { parseTcti } from '../keystore/tpm2/tpm2-tools.js';
import { DaemonLog, type LogLevel } from '../log/daemon-log.js';

const USAGE =
  'usage: viworksd [--socket PATH] [--state-dir DIR]\n' +
  '                [--keystore auto|tpm2|os-keyring|kernel-keyring|file] [--tpm2-tcti TCTI]\n' +
  '                [--foreground] [--allow-unprivileged] [--log-level debug|info|warn|error]\n' +
  '                [--dns-method auto|systemd-resolved|resolvconf|file] [--resolv-conf PATH]\n' +
  '                [--leak-check-interval SECONDS] [--captive-probe-url URL|off]\n';
/** How often a running daemon looks for a tracer. */
const TRACER_CHECK_MS = 2000;
/** What a refused or stopped daemon says about a tracer: nothing that helps whoever attached it. */
const GENERIC_ERROR = 'internal error';
const readText = (path: string) => readFileSync(path, 'utf8');

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
  const hardened = await harden(log);
  if (hardened.kind === 'failed') {
    process.stderr.write('viworksd: cannot start: process hardening failed (see the log)\n');
    return 70;
  }
  if (hardened.kind === 'traced') return refuseTraced(args, stateDir, hardened.pid, log);
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
    ...tpm2Tcti(args['tpm2-tcti'] ?? process.env.VIWORKSD_TPM2_TCTI),
    log,
    // OpenVPN runs as a child with its whole config on stdin; its sanitized lines go to the debug log.
    openvpn: new RunnerOpenVpnStarter({ onLog: (line) => log.debug(`openvpn: ${line}`) }),
    tls: new PinnedTlsProxyStarter({ onLog: (line) => log.info(line) }),
    posture: hardened.state.posture,
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      watch.stop();
      log.info(`received ${signal}: shutting down`);
      const force = setTimeout(() => resolve(1), 15_000);
      force.unref();
      daemon.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    // A tracer mid-run: end the session, tell the backend, exit 70. The timer (not unref'd) makes
    // sure the process ends even if the backend does not answer.
    const traced = (pid: number) => {
      if (stopping) return;
      stopping = true;
      log.event('hardening.tracer_detected', 'failed', { at: 'runtime' });
      const force = setTimeout(() => resolve(70), 10_000);
      void (async () => {
        await daemon.engine.tracerAttached(tracerDetail(pid, readText));
        await daemon.close();
      })()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(force);
          process.stderr.write(`viworksd: stopped: ${GENERIC_ERROR}\n`);
          resolve(70);
        });
    };
    const watch = new TracerWatch({
      intervalMs: TRACER_CHECK_MS,
      tracerPid: () => readTracerPid({ readText }),
      onTracer: traced,
      onUnreadable: () => log.warn('tracer check: /proc/self/status could not be read'),
    });
    if (process.platform === 'linux') watch.start();
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

/** What the hardening at start came to: run with `state`, or refuse the start. */
type Hardened =
  | { readonly kind: 'hardened'; readonly state: HardeningState }
  /** A tracer is attached (refuse with a generic error): its pid, for the backend's report. */
  | { readonly kind: 'traced'; readonly pid: number }
  /** A step did not hold (refuse). */
  | { readonly kind: 'failed' };

/** The process hardening (daemon/hardening/process-hardening.ts), logged step by step. */
async function harden(log: DaemonLog): Promise<Hardened> {
  if (process.platform !== 'linux') {
    log.warn(
      `process hardening: not available on ${process.platform} (core dumps and ptrace not restricted)`,
    );
    return { kind: 'hardened', state: notHardened(`not on ${process.platform}`) };
  }
  let state: HardeningState;
  try {
    const sys = await libcSyscalls();
    state = applyHardening(sys);
    if (state.posture.mlock === 'secrets' && sys.mlock) {
      const lock = sys.mlock;
      setSecretPageLocker((buf) => {
        try {
          lock(buf);
          return true;
        } catch {
          return false;
        }
      });
    }
  } catch {
    log.error('process hardening: the libc binding (koffi) could not be loaded');
    return { kind: 'failed' };
  }
  const verdict = startVerdict(state);
  if (!verdict.start) {
    if (!verdict.tracer) {
      log.error(verdict.log);
      return { kind: 'failed' };
    }
    log.event('hardening.tracer_detected', 'failed', { at: 'start' });
    return { kind: 'traced', pid: state.tracerPid ?? 0 };
  }
  for (const warning of verdict.warnings) log.warn(`process hardening: ${warning}`);
  const p = state.posture;
  log.event('hardening.applied', 'ok', {
    dumpable: p.dumpable,
    core_limit_zero: p.core_limit_zero,
    no_new_privs: p.no_new_privs,
    mlock: p.mlock,
  });
  return { kind: 'hardened', state };
}

/**
 * A tracer at start: the backend hears of it when the device is enrolled (tracer-at-start.ts, at
 * most 3 s, nothing else started), then exit 70 with the generic error.
 */
async function refuseTraced(
  args: ReturnType<typeof parse>,
  stateDir: string,
  pid: number,
  log: DaemonLog,
): Promise<number> {
  await reportTracerAtStart({
    stateDir,
    keyStore: (record) =>
      selectKeyStore({
        stateDir,
        choice: parseKeyStoreChoice(args.keystore ?? process.env.VIWORKSD_KEYSTORE),
        enrolledStore: record.key_store,
        ...tpm2Tcti(args['tpm2-tcti'] ?? process.env.VIWORKSD_TPM2_TCTI),
        log: (line) => log.info(line),
      }),
    tracer: tracerDetail(pid, readText),
    log,
  });
  process.stderr.write(`viworksd: cannot start: ${GENERIC_ERROR}\n`);
  return 70;
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

/** The --tpm2-tcti value, checked (VIW_E_CONFIG: exit 78) before anything starts. */
function tpm2Tcti(value: string | undefined): { tpm2Tcti?: string } {
  return value === undefined || value === '' ? {} : { tpm2Tcti: parseTcti(value) };
}

function parse() {
  return parseArgs({
    options: {
      socket: { type: 'string' },
      'state-dir': { type: 'string' },
      keystore: { type: 'string' },
      'tpm2-tcti': { type: 'string' },
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
