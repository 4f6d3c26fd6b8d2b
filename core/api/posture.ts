// The daemon's process hardening as it reports it (daemon/hardening/, issue #13): shown in
// `viworks status` (Status.posture, local.ts) and sent with each login (LoginRequest.posture,
// auth.ts), which the backend records in the login's audit event. Values only, never a reason text
// (the daemon's log has those). What each field means: docs/cli.md#process-hardening.
import { type Static, Type } from 'typebox';
import { closed } from './common.js';

/**
 * What viworksd reports (daemon/hardening/process-hardening.ts):
 *   `secrets`: the pages holding key material (every secret buffer, core/crypto/bytes.ts
 *   secretBytes) are locked with mlock(2); the rest of the process is not, because it cannot be
 *   (Node's V8 discards freed heap pages with madvise(MADV_DONTNEED), which the kernel refuses on
 *   locked memory, and V8 aborts);
 *   `unavailable`: not even the secret pages — the kernel refused the mlock(2) probe at start (a
 *   memlock limit too low), no mlock binding, or not Linux.
 * On the wire but never reported by viworksd: `locked` (the whole process, mlockall) and `failed`
 * (a refused attempt; viworksd reports its refusal as `unavailable`). They stay in the enum so the
 * backend and the CLI still take them from any client (`failed` reads as memory not locked).
 */
export const MLOCK_STATES = ['locked', 'secrets', 'unavailable', 'failed'] as const;
export type MlockState = (typeof MLOCK_STATES)[number];

export const ProcessPostureSchema = Type.Object(
  {
    /** PR_GET_DUMPABLE: false once the daemon made itself non-dumpable (no core, no same-user ptrace). */
    dumpable: Type.Boolean(),
    /** RLIMIT_CORE is 0 (soft and hard): no core file, also from the children (OpenVPN). */
    core_limit_zero: Type.Boolean(),
    mlock: Type.Enum(MLOCK_STATES),
    /** PR_SET_NO_NEW_PRIVS: neither the daemon nor its children gain privileges through execve. */
    no_new_privs: Type.Boolean(),
    /** A tracer (debugger, strace) is attached now; the daemon refuses to run with one. */
    tracer: Type.Boolean(),
  },
  closed,
);
export type ProcessPosture = Static<typeof ProcessPostureSchema>;

/** The posture of a daemon that hardened nothing (not Linux, tests, before it starts). */
export const POSTURE_UNHARDENED: ProcessPosture = Object.freeze({
  dumpable: true,
  core_limit_zero: false,
  mlock: 'unavailable',
  no_new_privs: false,
  tracer: false,
});

export const POSTURE_FINDINGS = ['dumpable', 'core_limit', 'new_privs', 'tracer'] as const;
export type PostureFinding = (typeof POSTURE_FINDINGS)[number];

/**
 * The checks a declared posture fails, by short name, in field order: what the admin CLI and panel
 * list for a device that is not hardened, and what the policy's isHardened judges (none failed).
 * `mlock` is not judged: viworksd cannot lock the whole process (docs/cli.md#process-hardening).
 */
export function postureFindings(p: ProcessPosture): PostureFinding[] {
  const failed: Record<PostureFinding, boolean> = {
    dumpable: p.dumpable,
    core_limit: !p.core_limit_zero,
    new_privs: !p.no_new_privs,
    tracer: p.tracer,
  };
  return POSTURE_FINDINGS.filter((f) => failed[f]);
}
