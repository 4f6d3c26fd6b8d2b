// Runs OpenVPN 2.6 as the daemon's child with its whole configuration on standard input
// (docs/architecture.md#openvpn-on-stdin): OpenVPN's argv is exactly `--config /dev/stdin` (2.6.14 refuses
// `--config -`: "Error opening configuration file: -"), the environment is PATH only, the working
// directory is `/`, and no file ever holds the configuration. The child leads its own process
// group, so stop() reaches anything it could start. The log is parsed line by line for readiness,
// the tunnel device and address, and a typed failure reason; only sanitized lines reach onLog.
//
// Why bash is in the chain: Node gives a child's stdin as a socketpair, and OpenVPN opens
// /dev/stdin by path, which fails on a socket (ENXIO: "Error opening configuration file:
// /dev/stdin"). So the child is `bash -c 'exec openvpn --config /dev/stdin < <(exec cat)'`: bash
// makes a real pipe, `cat` copies our socket into it, and bash execs OpenVPN in place — the PID
// Node knows is OpenVPN's own. The argv holds only fixed strings and the binaries' paths; `cat`
// exits at EOF (it stays a zombie child of OpenVPN, holding nothing, until OpenVPN exits). bash and
// cat get PATH only; OpenVPN gets an empty environment (bash's `exec -c`; it runs no program).
//
// Facts this relies on (OpenVPN 2.6.14, verified against a real server):
// - OpenVPN reads /dev/stdin to EOF, so stdin is ended right after the config is written.
// - SIGHUP would re-read /dev/stdin, find it empty and exit ("You must define TUN/TAP device"):
//   never send it. SIGTERM removes routes and the tun device before exiting.
// - With `remap-usr1 SIGTERM` (config.ts) every soft failure ends the process with
//   "SIGTERM[soft,<why>] received, process exiting" and exit code 0, so the exit code alone never
//   tells success from failure: the log does.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { DEFAULT_OPENVPN_PATH, resolveOpenVpnBinary, resolveTrustedBinary } from './host-checks.js';
import { assertNetnsName, IP_BINARY, SAFE_PATH } from './iproute.js';
import {
  classifyLogLine,
  type OpenVpnFailureReason,
  RETRYABLE,
  sanitizeLogLine,
  softExitReason,
  summarizePush,
} from './log.js';

export interface StartOpenVpnOptions {
  /**
   * The rendered configuration. A Uint8Array is owned by the runner from here on and zeroed once
   * written; a string is copied into a buffer that is zeroed (the string itself cannot be wiped:
   * drop every reference to it).
   */
  readonly configText: string | Uint8Array;
  /** Absolute path; resolved through symlinks and checked (root-owned, not writable by others). */
  readonly openvpnPath?: string;
  /** Sanitized log lines (no timestamps, nothing that looks like key material). */
  readonly onLog?: (line: string) => void;
  /** From spawn to "Initialization Sequence Completed"; past it the process is stopped. */
  readonly readyTimeoutMs: number;
  /** SIGTERM → SIGKILL grace in stop(); default 5000 ms. */
  readonly stopGraceMs?: number;
  /** Run inside this named network namespace (`ip netns exec`, which execs: the PID stays OpenVPN's). Lab use. */
  readonly netns?: string;
}

export interface OpenVpnReady {
  readonly virtualIp: string;
  readonly prefixLength: number;
  readonly tunDevice: string;
  /** From spawn to "Initialization Sequence Completed". */
  readonly readyMs: number;
  /** What the server pushed (redirect-gateway and DNS are ignored by pull-filter; reported only). */
  readonly pushed: { readonly redirectGateway: boolean; readonly dns: readonly string[] };
}

export interface OpenVpnExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it ended: 'stopped' after stop(), otherwise what the log showed. */
  readonly reason: OpenVpnFailureReason;
  readonly retryable: boolean;
}

export interface OpenVpnProcess {
  readonly pid: number;
  /** Resolves on "Initialization Sequence Completed"; rejects with OpenVpnError. */
  readonly ready: Promise<OpenVpnReady>;
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<OpenVpnExit>;
  /** SIGTERM to the process group, SIGKILL after the grace; idempotent; resolves once it is gone. */
  stop(): Promise<void>;
}

/** VIW_E_OPENVPN_FAILED with a stable reason for the engine's retry decision. */
export class OpenVpnError extends ViworksError {
  readonly reason: OpenVpnFailureReason;
  readonly retryable: boolean;

  constructor(reason: OpenVpnFailureReason, cause?: unknown) {
    super('VIW_E_OPENVPN_FAILED', { details: [`openvpn: ${reason}`], cause });
    this.name = 'OpenVpnError';
    this.reason = reason;
    this.retryable = RETRYABLE[reason];
  }
}

const BASH = '/bin/bash';
const CAT = '/usr/bin/cat';
/** `$0` = OpenVPN, `$1` = cat. `exec -c`: OpenVPN starts with an empty environment (it needs none). */
const FEEDER = 'exec -c "$0" --config /dev/stdin < <(exec "$1")';
const MAX_PARTIAL_LINE = 16 * 1024;
const KILL_WAIT_MS = 2000;
const CLOSE_WAIT_MS = 1000;

/** Calls `onLine` for each complete line; a line longer than the cap is dropped, not buffered. */
function splitLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = '';
  let overflow = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (overflow) overflow = false;
      else onLine(p.replace(/\r$/, ''));
    }
    if (partial.length > MAX_PARTIAL_LINE) {
      partial = '';
      overflow = true;
    }
  });
  stream.on('end', () => {
    if (partial && !overflow) onLine(partial);
  });
}

/** Writes the configuration, ends stdin, and zeroes the buffer once the pipe has taken it. */
function writeConfig(child: ChildProcess, configText: string | Uint8Array): void {
  const buf = typeof configText === 'string' ? Buffer.from(configText, 'utf8') : configText;
  const stdin = child.stdin;
  if (!stdin) {
    buf.fill(0);
    return;
  }
  stdin.on('error', () => buf.fill(0));
  stdin.write(buf, () => buf.fill(0));
  stdin.end();
}

function spawnChild(argv: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: SAFE_PATH },
      cwd: '/',
    });
    child.once('spawn', () => resolve(child));
    child.once('error', (err) => reject(new OpenVpnError('spawn_failed', err)));
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is empty
  }
}

/**
 * Starts OpenVPN and feeds it the configuration. Resolves once the process runs (rejects with
 * OpenVpnError 'binary_invalid' or 'spawn_failed'); readiness and failure come through `ready`.
 */
export async function startOpenVpn(opts: StartOpenVpnOptions): Promise<OpenVpnProcess> {
  if (opts.netns !== undefined) assertNetnsName(opts.netns);
  if (!(opts.readyTimeoutMs > 0)) throw new RangeError('readyTimeoutMs must be positive');
  let argv: string[];
  try {
    const binary = resolveOpenVpnBinary(opts.openvpnPath ?? DEFAULT_OPENVPN_PATH);
    const bash = resolveTrustedBinary(BASH, 'bash');
    const cat = resolveTrustedBinary(CAT, 'cat');
    argv = [
      ...(opts.netns === undefined
        ? []
        : [resolveTrustedBinary(IP_BINARY, 'ip'), 'netns', 'exec', opts.netns]),
      bash,
      '--noprofile',
      '--norc',
      '-c',
      FEEDER,
      binary,
      cat,
    ];
  } catch (err) {
    if (typeof opts.configText !== 'string') opts.configText.fill(0);
    throw new OpenVpnError('binary_invalid', err);
  }
  const startedAt = performance.now();
  let child: ChildProcess;
  try {
    child = await spawnChild(argv);
  } catch (err) {
    if (typeof opts.configText !== 'string') opts.configText.fill(0);
    throw err;
  }
  writeConfig(child, opts.configText);
  // Only what supervision needs: nothing that can reach the configuration outlives this call.
  return supervise(child, startedAt, {
    readyTimeoutMs: opts.readyTimeoutMs,
    graceMs: opts.stopGraceMs ?? 5000,
    onLog: opts.onLog,
  });
}

interface SuperviseOptions {
  readonly readyTimeoutMs: number;
  readonly graceMs: number;
  readonly onLog: ((line: string) => void) | undefined;
}

function supervise(child: ChildProcess, startedAt: number, opts: SuperviseOptions): OpenVpnProcess {
  const pid = child.pid!;
  const { graceMs, onLog } = opts;

  let settledReady = false;
  let resolveReady!: (r: OpenVpnReady) => void;
  let rejectReady!: (e: OpenVpnError) => void;
  const ready = new Promise<OpenVpnReady>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  // A caller that only watches `exited` must not get an unhandled rejection.
  ready.catch(() => {});

  const phase = { serverVerified: false, peerConnected: false, ready: false };
  let tunDevice: string | undefined;
  let address: { ip: string; prefix: number } | undefined;
  let pushed: OpenVpnReady['pushed'] = { redirectGateway: false, dns: [] };
  /** The first failure the log (or the ready timer) showed. */
  let cause: OpenVpnFailureReason | undefined;
  /** Set by stop(): the exit is then 'stopped' unless a failure had been seen before. */
  let stoppedByCaller = false;
  let exitedFlag = false;

  const failReady = (reason: OpenVpnFailureReason): void => {
    if (settledReady) return;
    settledReady = true;
    rejectReady(new OpenVpnError(reason));
  };

  const exitHook = (): void => killGroup(pid, 'SIGTERM');
  process.once('exit', exitHook);

  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<OpenVpnExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // Anything the process left in its group goes with it (and releases the pipes).
      killGroup(pid, 'SIGKILL');
      process.off('exit', exitHook);
      // 'exit' can come before the last log lines (the reason) are read: wait for the pipes.
      const closed = new Promise<void>((res) => child.once('close', () => res()));
      void Promise.race([closed, sleep(CLOSE_WAIT_MS)]).then(() => {
        exitedFlag = true;
        clearTimeout(timer);
        const reason: OpenVpnFailureReason = cause ?? (stoppedByCaller ? 'stopped' : 'exited');
        failReady(reason);
        resolve({ code, signal, reason, retryable: RETRYABLE[reason] });
      });
    });
  });

  let terminating: Promise<void> | undefined;
  const terminate = (): Promise<void> => {
    if (exitedFlag) return Promise.resolve();
    terminating ??= (async () => {
      killGroup(pid, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!gone) {
        killGroup(pid, 'SIGKILL');
        await Promise.race([exited, sleep(KILL_WAIT_MS)]);
      }
    })();
    return terminating;
  };
  /** Ends the process for a failure seen before readiness (OpenVPN might otherwise linger). */
  const abort = (reason: OpenVpnFailureReason): void => {
    cause ??= reason;
    failReady(reason);
    void terminate();
  };

  timer = setTimeout(() => {
    if (!settledReady) abort('ready_timeout');
  }, opts.readyTimeoutMs);
  timer.unref();

  const handle = (raw: string): void => {
    const safe = sanitizeLogLine(raw);
    if (safe === undefined) return;
    if (onLog) {
      try {
        onLog(safe);
      } catch {
        // a logging sink must not break supervision
      }
    }
    const ev = classifyLogLine(safe);
    if (!ev) return;
    switch (ev.kind) {
      case 'tun_opened':
        tunDevice = ev.device;
        break;
      case 'address':
        if (tunDevice === undefined || ev.device === tunDevice) address = { ip: ev.ip, prefix: ev.prefix };
        break;
      case 'push_reply':
        pushed = summarizePush(ev.options);
        break;
      case 'server_verified':
        phase.serverVerified = true;
        break;
      case 'peer_connected':
        phase.peerConnected = true;
        break;
      case 'ready':
        if (settledReady) break;
        // Up without a tunnel address we can name: nothing to verify routes against.
        if (tunDevice === undefined || address === undefined) {
          abort('init_errors');
          break;
        }
        phase.ready = true;
        settledReady = true;
        clearTimeout(timer);
        resolveReady({
          virtualIp: address.ip,
          prefixLength: address.prefix,
          tunDevice,
          readyMs: Math.round(performance.now() - startedAt),
          pushed,
        });
        break;
      case 'cause':
        // Before readiness these are final (after "Completed With Errors" OpenVPN would keep
        // running with routes missing): stop now, bounded. After readiness: remembered for `exited`.
        if (phase.ready) cause ??= ev.reason;
        else if (!stoppedByCaller) abort(ev.reason);
        break;
      case 'signal':
        // Soft signals are OpenVPN's own failures (remapped to SIGTERM); hard ones come from outside.
        if (ev.soft && !stoppedByCaller) cause ??= softExitReason(ev.why, phase);
        break;
      case 'filtered':
        break;
    }
  };
  if (child.stdout) splitLines(child.stdout, handle);
  if (child.stderr) splitLines(child.stderr, handle);

  const stop = async (): Promise<void> => {
    stoppedByCaller = true;
    failReady('stopped');
    await terminate();
  };
  return { pid, ready, exited, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
