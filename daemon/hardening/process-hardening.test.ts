// The hardening's own logic against a scripted kernel (FakeKernel): each step applied and read
// back, a refused or silently ignored call reported as a failure with its errno, the tracer and
// swap read from procfs text, and what viworksd does with the result (startVerdict). The real
// kernel: hardening-process.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyHardening,
  type HardeningSyscalls,
  MLOCK_V8_REASON,
  notHardened,
  PR_GET_DUMPABLE,
  PR_GET_NO_NEW_PRIVS,
  PR_SET_DUMPABLE,
  PR_SET_NO_NEW_PRIVS,
  RLIMIT_CORE,
  type Rlimit,
  SyscallError,
  startVerdict,
  swapActiveOf,
  tracerPidOf,
} from './process-hardening.js';

const STATUS = (tracer: number) =>
  `Name:\tnode\nUmask:\t0077\nState:\tS (sleeping)\nTracerPid:\t${tracer}\nUid:\t0\t0\t0\t0\n`;
const NO_SWAP = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';
const SWAP = `${NO_SWAP}/dev/sda2                               partition\t8388604\t\t0\t\t-2\n`;

/** A process as the kernel keeps it; `refuse` makes a call fail, `ignore` makes it a no-op. */
class FakeKernel implements HardeningSyscalls {
  dumpable = 1;
  nnp = 0;
  core: Rlimit = { cur: 0n, max: 18446744073709551615n };
  tracer = 0;
  swaps: string | null = NO_SWAP;
  readonly calls: string[] = [];
  constructor(
    private readonly refuse: ReadonlySet<string> = new Set(),
    private readonly ignore: ReadonlySet<string> = new Set(),
  ) {}

  prctl(option: number, arg2: number): number {
    const name =
      { [PR_SET_DUMPABLE]: 'set_dumpable', [PR_GET_DUMPABLE]: 'get_dumpable' }[option] ??
      { [PR_SET_NO_NEW_PRIVS]: 'set_nnp', [PR_GET_NO_NEW_PRIVS]: 'get_nnp' }[option] ??
      `prctl ${option}`;
    this.calls.push(`${name}(${arg2})`);
    if (this.refuse.has(name)) throw new SyscallError(`prctl(${option})`, 'EINVAL');
    if (this.ignore.has(name)) return 0;
    if (option === PR_SET_DUMPABLE) this.dumpable = arg2;
    if (option === PR_SET_NO_NEW_PRIVS) this.nnp = arg2;
    if (option === PR_GET_DUMPABLE) return this.dumpable;
    if (option === PR_GET_NO_NEW_PRIVS) return this.nnp;
    return 0;
  }
  getrlimit(resource: number): Rlimit {
    assert.equal(resource, RLIMIT_CORE);
    this.calls.push('getrlimit(core)');
    if (this.refuse.has('getrlimit')) throw new SyscallError('getrlimit(4)', 'EFAULT');
    return this.core;
  }
  setrlimit(resource: number, limit: Rlimit): void {
    assert.equal(resource, RLIMIT_CORE);
    this.calls.push(`setrlimit(core, ${limit.cur}/${limit.max})`);
    if (this.refuse.has('setrlimit')) throw new SyscallError('setrlimit(4)', 'EPERM');
    if (!this.ignore.has('setrlimit')) this.core = limit;
  }
  readText(path: string): string {
    if (path === '/proc/self/status') {
      if (this.refuse.has('status')) throw new Error('ENOENT');
      return this.refuse.has('tracer_line') ? 'Name:\tnode\n' : STATUS(this.tracer);
    }
    if (path === '/proc/swaps' && this.swaps !== null) return this.swaps;
    throw new Error(`ENOENT ${path}`);
  }
}

describe('applyHardening', () => {
  it('locks the pages of secret buffers when mlock works (the whole process never), and says so', () => {
    const locked: number[] = [];
    const withMlock = Object.assign(new FakeKernel(), {
      mlock: (buf: Uint8Array) => void locked.push(buf.byteLength),
    });
    const s = applyHardening(withMlock);
    assert.equal(s.posture.mlock, 'secrets');
    assert.deepEqual(locked, [32], 'a probe buffer, locked once');
    assert.match(s.mlockReason, /only the pages of secret buffers/);
    const refusing = Object.assign(new FakeKernel(), {
      mlock: () => {
        throw new SyscallError('mlock', 'ENOMEM');
      },
    });
    const r = applyHardening(refusing);
    assert.equal(r.posture.mlock, 'unavailable');
    assert.match(r.mlockReason, /mlock ENOMEM/);
    assert.deepEqual(r.failures, [], 'not a failed step: the daemon still starts');
  });

  it('applies every step and reads each back from the kernel; memory is never locked', () => {
    const k = new FakeKernel();
    const s = applyHardening(k);
    assert.deepEqual(s.posture, {
      dumpable: false,
      core_limit_zero: true,
      mlock: 'unavailable',
      no_new_privs: true,
      tracer: false,
    });
    assert.deepEqual(s.failures, []);
    assert.equal(s.tracerPid, 0);
    assert.equal(s.swapActive, false);
    assert.equal(s.mlockReason, MLOCK_V8_REASON);
    assert.deepEqual(k.calls, [
      'set_dumpable(0)',
      'get_dumpable(0)',
      'setrlimit(core, 0/0)',
      'getrlimit(core)',
      'set_nnp(1)',
      'get_nnp(0)',
    ]);
    assert.deepEqual(startVerdict(s), {
      start: true,
      warnings: [`memory not locked: ${MLOCK_V8_REASON}; swap none`],
    });
  });

  it('a refused call is a failure with its errno; the posture says what holds', () => {
    const s = applyHardening(new FakeKernel(new Set(['set_dumpable', 'setrlimit'])));
    assert.equal(s.posture.dumpable, true);
    assert.equal(s.posture.core_limit_zero, false);
    assert.equal(s.posture.no_new_privs, true, 'the other steps still run');
    assert.deepEqual(s.failures, ['dumpable: prctl(4) EINVAL', 'core_limit: setrlimit(4) EPERM']);
    const v = startVerdict(s);
    assert.equal(v.start, false);
    assert.ok(!v.start && !v.tracer);
    assert.match(!v.start ? v.log : '', /process hardening failed \(dumpable: prctl\(4\) EINVAL; core_limit/);
  });

  it('a call that returns 0 but changes nothing is caught by the read-back', () => {
    const s = applyHardening(new FakeKernel(new Set(), new Set(['set_nnp', 'setrlimit'])));
    assert.equal(s.posture.no_new_privs, false);
    assert.equal(s.posture.core_limit_zero, false);
    assert.deepEqual(s.failures, [
      'core_limit: not in effect after the call',
      'no_new_privs: not in effect after the call',
    ]);
  });

  it('a read-back that fails counts as not applied', () => {
    const s = applyHardening(new FakeKernel(new Set(['getrlimit', 'get_nnp'])));
    assert.equal(s.posture.core_limit_zero, false);
    assert.equal(s.posture.no_new_privs, false);
    assert.deepEqual(s.failures, ['core_limit: getrlimit(4) EFAULT', 'no_new_privs: prctl(39) EINVAL']);
  });

  it('a tracer attached at start refuses the start, with nothing more to say', () => {
    const k = new FakeKernel();
    k.tracer = 4242;
    const s = applyHardening(k);
    assert.equal(s.tracerPid, 4242);
    assert.equal(s.posture.tracer, true);
    assert.deepEqual(startVerdict(s), { start: false, tracer: true, log: 'hardening.tracer_detected' });
  });

  it('a status without TracerPid, or none at all, refuses the start (cannot tell)', () => {
    for (const refuse of ['status', 'tracer_line']) {
      const s = applyHardening(new FakeKernel(new Set([refuse])));
      assert.equal(s.tracerPid, null);
      assert.equal(s.posture.tracer, false);
      assert.deepEqual(s.failures, ['tracer_check: no TracerPid in /proc/self/status']);
      assert.equal(startVerdict(s).start, false);
    }
  });

  it('says whether swap is active (unlocked memory can be paged out), unknown when unreadable', () => {
    const k = new FakeKernel();
    k.swaps = SWAP;
    assert.equal(applyHardening(k).swapActive, true);
    const warnings = () => {
      const v = startVerdict(applyHardening(k));
      return v.start ? v.warnings.join('\n') : assert.fail('refused');
    };
    assert.match(warnings(), /swap active$/);
    k.swaps = null;
    assert.equal(applyHardening(k).swapActive, null);
    assert.match(warnings(), /swap unknown$/);
  });

  it('not Linux: nothing hardened, nothing refused', () => {
    const s = notHardened('not on darwin');
    assert.deepEqual(s.posture, {
      dumpable: true,
      core_limit_zero: false,
      mlock: 'unavailable',
      no_new_privs: false,
      tracer: false,
    });
    assert.equal(startVerdict(s).start, true);
  });
});

describe('procfs parsing', () => {
  it('TracerPid: the number, or null when missing or malformed', () => {
    assert.equal(tracerPidOf(STATUS(0)), 0);
    assert.equal(tracerPidOf(STATUS(31337)), 31337);
    assert.equal(tracerPidOf('Name:\tnode\n'), null);
    assert.equal(tracerPidOf('TracerPid:\t-1\n'), null);
    assert.equal(tracerPidOf('XTracerPid:\t5\n'), null);
  });

  it('/proc/swaps: the header alone is no swap', () => {
    assert.equal(swapActiveOf(NO_SWAP), false);
    assert.equal(swapActiveOf(`${NO_SWAP}\n`), false);
    assert.equal(swapActiveOf(SWAP), true);
  });
});
