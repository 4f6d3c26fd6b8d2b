// The hardening on a REAL viworksd process, checked from outside through procfs (as root: the
// test reads another process's /proc and attaches strace):
//   - as root: NoNewPrivs 1, TracerPid 0, core limit 0/0 in /proc/<pid>/limits, memory not locked
//     (VmLck 0), and the same posture in `status` over the local API;
//   - as nobody (--allow-unprivileged): /proc/<pid>/ belongs to root:root although the process runs
//     as uid 65534 — how the kernel shows a non-dumpable process;
//   - a tracer at start (strace -f around it): exit 70, a generic error, no socket;
//   - a tracer attached later (strace -p): seen within the 2 s interval, exit 70, generic error,
//     hardening.tracer_detected in the log.
// The session end and the backend report on a tracer: tracer-session.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { LocalClient } from '../../core/localclient/index.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { socketUp, until, ViworksdProcesses } from '../testing/viworksd-process.js';

const STRACE = '/usr/bin/strace';
const NOBODY = 65534;
const peers = needPeers({ root: true, binaries: [STRACE], apt: 'strace' });
const linux = process.platform === 'linux' ? undefined : 'Linux only';
const skip = linux ?? peers.skip;

const daemons = new ViworksdProcesses();
after(() => daemons.stopAll());
const startViworksd = (name: string, opts?: { prefix?: string[]; owner?: number }) =>
  daemons.start(name, opts);

/** One field of /proc/<pid>/status (`NoNewPrivs`, `VmLck` …), as its text. */
function procField(pid: number, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return m[1]!.trim();
}

/** The process runuser started (its only child), or `pid` itself while there is none. */
function nodePidUnder(pid: number): number {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  return kids[0] ? Number(kids[0]) : pid;
}

describe('viworksd process hardening (real process, procfs from outside)', { skip }, () => {
  it('as root: no_new_privs, no tracer, core limit 0/0, secret pages locked (not all memory); the same in status', async (t) => {
    const d = startViworksd('root');
    await until(() => socketUp(d) || d.child.exitCode !== null, 'the socket', 30_000);
    assert.ok(socketUp(d), d.stderr());
    const pid = d.child.pid!;
    assert.equal(procField(pid, 'NoNewPrivs'), '1');
    assert.equal(procField(pid, 'TracerPid'), '0');
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s+bytes\s*$/m);
    // mlockall is not attempted (V8 aborts with it): only the secret buffers' pages are locked.
    const locked = Number(procField(pid, 'VmLck')?.replace(' kB', ''));
    assert.ok(locked > 0 && locked < 1024, `a few locked pages, not the process (${locked} kB)`);
    t.diagnostic(`viworksd RSS ${procField(pid, 'VmRSS')}, VmLck ${procField(pid, 'VmLck')}`);
    const status = await new LocalClient({ socketPath: d.socket }).status();
    assert.deepEqual(status.posture, {
      dumpable: false,
      core_limit_zero: true,
      mlock: 'secrets',
      no_new_privs: true,
      tracer: false,
    });
    assert.match(d.stderr(), /hardening\.applied ok dumpable=false core_limit_zero=true no_new_privs=true/);
    assert.match(d.stderr(), /memory: only the pages of secret buffers are locked/);
    d.child.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.stderr());
  });

  it('as nobody: /proc/<pid>/ belongs to root:root, the sign of a non-dumpable process', async () => {
    const d = startViworksd('nobody', { prefix: ['/usr/sbin/runuser', '-u', 'nobody', '--'], owner: NOBODY });
    await until(() => socketUp(d) || d.child.exitCode !== null, 'the socket', 30_000);
    assert.ok(socketUp(d), d.stderr());
    const pid = nodePidUnder(d.child.pid!);
    assert.match(procField(pid, 'Uid'), /^65534\s+65534\s+65534\s+65534$/, 'it runs as nobody');
    // The kernel gives a non-dumpable process's files and private directories to root (the
    // world-readable /proc/<pid> directory itself keeps the real owner); a dumpable process of
    // the same user keeps its own.
    const owner = (path: string) => [statSync(path).uid, statSync(path).gid];
    const control = spawn('/usr/sbin/runuser', ['-u', 'nobody', '--', 'sleep', '30'], { stdio: 'ignore' });
    daemons.track(control);
    const comm = (p: number) =>
      existsSync(`/proc/${p}/comm`) ? readFileSync(`/proc/${p}/comm`, 'utf8') : '';
    await until(() => comm(nodePidUnder(control.pid!)) === 'sleep\n', 'sleep to be running under runuser');
    const sleeper = nodePidUnder(control.pid!);
    for (const entry of ['environ', 'status', 'fd', 'mem']) {
      assert.deepEqual(owner(`/proc/${pid}/${entry}`), [0, 0], `/proc/<viworksd>/${entry}: root:root`);
      assert.deepEqual(owner(`/proc/${sleeper}/${entry}`), [NOBODY, NOBODY], `/proc/<sleep>/${entry}`);
    }
    assert.deepEqual(owner(`/proc/${pid}`), [NOBODY, NOBODY], 'the directory keeps the real owner');
    process.kill(sleeper, 'SIGKILL'); // runuser then exits by itself
    assert.equal(procField(pid, 'NoNewPrivs'), '1');
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max core file size\s+0\s+0\s+bytes/m);
    process.kill(pid, 'SIGTERM'); // viworksd itself: runuser then exits with its code
    assert.equal(await d.exited, 0, d.stderr());
  });

  it('a tracer attached at start: exit 70 with a generic error, before the socket opens', async () => {
    const d = startViworksd('traced-start', { prefix: [STRACE, '-f', '-o', '/dev/null', '--'] });
    assert.equal(await d.exited, 70, d.stderr());
    assert.match(d.stderr(), /^viworksd: cannot start: internal error$/m);
    assert.match(d.stderr(), /hardening\.tracer_detected failed at=start/);
    assert.doesNotMatch(d.stderr(), /strace|TracerPid|ptrace/i, 'nothing that helps whoever attached');
    assert.equal(existsSync(d.socket), false);
  });

  it('a tracer attached later: seen within the 2 s interval, exit 70 with a generic error', async (t) => {
    const d = startViworksd('traced-later');
    await until(() => socketUp(d) || d.child.exitCode !== null, 'the socket', 30_000);
    assert.ok(socketUp(d), d.stderr());
    const started = Date.now();
    const strace = spawn(STRACE, ['-p', String(d.child.pid), '-o', '/dev/null'], { stdio: 'ignore' });
    daemons.track(strace);
    await until(() => procField(d.child.pid!, 'TracerPid') !== '0' || d.child.exitCode !== null, 'strace');
    assert.equal(await d.exited, 70, d.stderr());
    const took = Date.now() - started;
    t.diagnostic(`strace attached → viworksd exited in ${took} ms`);
    assert.ok(took < 2000 + 3000, `exited ${took} ms after the attach`);
    assert.match(d.stderr(), /hardening\.tracer_detected failed at=runtime/);
    assert.match(d.stderr(), /^viworksd: stopped: internal error$/m);
    assert.doesNotMatch(d.stderr(), /strace|TracerPid|ptrace/i);
    assert.equal(existsSync(d.socket), false, 'closed like a shutdown: socket removed');
    await new Promise((r) => (strace.exitCode === null ? strace.on('exit', r) : r(null)));
  });
});
