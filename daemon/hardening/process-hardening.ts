// What viworksd does to its own process at start on Linux, before its socket opens (issue #13):
//   PR_SET_DUMPABLE 0        no core dump; no ptrace by a same-user process without CAP_SYS_PTRACE;
//                            /proc/<pid>/ owned by root (reset for children at execve)
//   RLIMIT_CORE 0/0          no core file, inherited by every child (OpenVPN holds session keys)
//   PR_SET_NO_NEW_PRIVS 1    neither the daemon nor its children gain privileges through execve
//                            (setuid bits, file capabilities); OpenVPN starts as root with the
//                            daemon's capabilities and needs nothing more
//   mlock(2) probe           only the pages of secret buffers are locked (posture.mlock `secrets`:
//                            core/crypto/bytes.ts secretBytes, each locked as it is allocated); a
//                            probe the kernel refuses (a memlock limit too low) is `unavailable`
//   TracerPid                a debugger or strace attached (tracer-watch.ts keeps looking)
// Each step is read back from the kernel: the posture says what holds, not what was asked.
//
// The whole process is NOT locked: mlockall(MCL_CURRENT|MCL_FUTURE), with or without MCL_ONFAULT,
// aborts Node 20 within a second of its first large free — V8 returns freed heap pages with
// madvise(MADV_DONTNEED), which Linux refuses on locked pages (EINVAL), and V8 treats that as fatal
// ("Check failed: 0 == ret" in OS::SetPermissions). Measured here: with MCL_CURRENT|MCL_FUTURE the
// RSS went from 45 to 178 MiB (everything faulted in, VmLck 749 MiB, the whole address space); with
// MCL_ONFAULT it stayed at 46 MiB (VmLck 814 MiB); both aborted. So posture.mlock is never `locked`
// (nor `failed`: a refusal is `unavailable`).
// The syscalls go through HardeningSyscalls: libc.ts binds them with koffi, tests inject fakes.
import { POSTURE_UNHARDENED, type ProcessPosture } from '../../core/api/posture.js';

export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const RLIMIT_CORE = 4;

/** A libc call that returned -1: which call, and errno by name (`EPERM`). */
export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly errno: string,
  ) {
    super(`${call}: ${errno}`);
    this.name = 'SyscallError';
  }
}

export interface Rlimit {
  readonly cur: bigint;
  readonly max: bigint;
}

/** The kernel interface the hardening needs; every call throws SyscallError on failure. */
export interface HardeningSyscalls {
  /** prctl(option, arg2, 0, 0, 0): its return value. */
  prctl(option: number, arg2: number): number;
  getrlimit(resource: number): Rlimit;
  setrlimit(resource: number, limit: Rlimit): void;
  /** A text file of procfs (`/proc/self/status`, `/proc/swaps`). */
  readText(path: string): string;
  /** mlock(2) of the pages under `buf` (absent: not available). */
  mlock?(buf: Uint8Array): void;
}

export type HardeningStep = 'dumpable' | 'core_limit' | 'no_new_privs' | 'tracer_check';

export interface HardeningState {
  readonly posture: ProcessPosture;
  /** Steps the kernel refused, or whose effect did not read back: `<step>: <errno or why>`. */
  readonly failures: readonly string[];
  /** Why posture.mlock is not `locked`. */
  readonly mlockReason: string;
  /** Swap in use on this machine (memory that is not locked can be paged out); null: unknown. */
  readonly swapActive: boolean | null;
  /** The attached tracer's pid, 0 for none, null when /proc/self/status could not be read. */
  readonly tracerPid: number | null;
}

export const MLOCK_V8_REASON =
  'not attempted: Node (V8) aborts with locked memory (madvise MADV_DONTNEED on locked pages is EINVAL)';

/** The TracerPid of a /proc/<pid>/status text; null when the line is missing or malformed. */
export function tracerPidOf(status: string): number | null {
  const m = /^TracerPid:\s*(\d+)\s*$/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Whether /proc/swaps lists any swap area (its first line is the header). */
export function swapActiveOf(swaps: string): boolean {
  return swaps
    .split('\n')
    .slice(1)
    .some((line) => line.trim() !== '');
}

/** Applies every step, reads each back, and says what holds. Never throws. */
export function applyHardening(sys: HardeningSyscalls): HardeningState {
  const failures: string[] = [];
  /** Runs `set`, then whether `holds` reads back true; a failure of either is recorded once. */
  const apply = (name: HardeningStep, set: () => unknown, holds: () => boolean): boolean => {
    try {
      set();
      if (holds()) return true;
      failures.push(`${name}: not in effect after the call`);
    } catch (err) {
      failures.push(`${name}: ${err instanceof SyscallError ? `${err.call} ${err.errno}` : 'error'}`);
    }
    return false;
  };

  const notDumpable = apply(
    'dumpable',
    () => sys.prctl(PR_SET_DUMPABLE, 0),
    () => sys.prctl(PR_GET_DUMPABLE, 0) === 0,
  );
  const coreZero = apply(
    'core_limit',
    () => sys.setrlimit(RLIMIT_CORE, { cur: 0n, max: 0n }),
    () => {
      const l = sys.getrlimit(RLIMIT_CORE);
      return l.cur === 0n && l.max === 0n;
    },
  );
  const nnp = apply(
    'no_new_privs',
    () => sys.prctl(PR_SET_NO_NEW_PRIVS, 1),
    () => sys.prctl(PR_GET_NO_NEW_PRIVS, 0) === 1,
  );
  // The whole process cannot be locked (MLOCK_V8_REASON); the pages of secret buffers can.
  let secretsLocked = false;
  let mlockReason = MLOCK_V8_REASON;
  if (sys.mlock) {
    const probe = Buffer.from(new ArrayBuffer(32));
    try {
      sys.mlock(probe);
      secretsLocked = true;
      mlockReason = 'only the pages of secret buffers are locked (mlock); the whole process cannot be (V8)';
    } catch (err) {
      mlockReason = `secret pages not locked: ${err instanceof SyscallError ? `${err.call} ${err.errno}` : 'error'}`;
    }
  }
  const tracerPid = readTracerPid(sys);
  if (tracerPid === null) failures.push('tracer_check: no TracerPid in /proc/self/status');
  let swapActive: boolean | null = null;
  try {
    swapActive = swapActiveOf(sys.readText('/proc/swaps'));
  } catch {
    // Unknown: said as such in the log.
  }
  return {
    posture: {
      dumpable: !notDumpable,
      core_limit_zero: coreZero,
      mlock: secretsLocked ? 'secrets' : 'unavailable',
      no_new_privs: nnp,
      tracer: tracerPid !== null && tracerPid !== 0,
    },
    failures,
    mlockReason,
    swapActive,
    tracerPid,
  };
}

/** The state of a daemon that hardens nothing (not Linux). */
export function notHardened(why: string): HardeningState {
  return {
    posture: POSTURE_UNHARDENED,
    failures: [],
    mlockReason: why,
    swapActive: null,
    tracerPid: 0,
  };
}

/** TracerPid of this process now (0: none); null when it cannot be read. */
export function readTracerPid(sys: Pick<HardeningSyscalls, 'readText'>): number | null {
  try {
    return tracerPidOf(sys.readText('/proc/self/status'));
  } catch {
    return null;
  }
}

/** What viworksd does with a HardeningState at start. */
export type StartVerdict =
  | { readonly start: true; readonly warnings: readonly string[] }
  | { readonly start: false; readonly tracer: boolean; readonly log: string };

/**
 * A tracer attached at start: refuse (the caller reports it to the backend when enrolled and prints
 * only a generic error). A step that did not hold: refuse. What of the memory is locked (the secret
 * pages, or not even those) and whether swap is active: a warning, never a refusal.
 */
export function startVerdict(state: HardeningState): StartVerdict {
  if (state.tracerPid !== null && state.tracerPid !== 0) {
    return { start: false, tracer: true, log: 'hardening.tracer_detected' };
  }
  if (state.failures.length > 0) {
    return { start: false, tracer: false, log: `process hardening failed (${state.failures.join('; ')})` };
  }
  const swap = state.swapActive === null ? 'unknown' : state.swapActive ? 'active' : 'none';
  const memory = state.posture.mlock === 'secrets' ? 'memory' : 'memory not locked';
  return { start: true, warnings: [`${memory}: ${state.mlockReason}; swap ${swap}`] };
}
