// Long-running lab processes: started inside a namespace, detached from the command that started
// them (so `lab up` can exit and the lab keeps running), output appended to a log file. They are
// stopped by `lab down` through `ip netns pids`, never by name.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ExecResult, IP, run } from '../testkit/netns.js';

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts argv inside `ns`, detached, stdout+stderr appended to `logFile`. Returns its PID. */
export function startDetached(
  ns: string,
  argv: readonly string[],
  logFile: string,
  opts: StartOptions = {},
): number {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(IP, ['netns', 'exec', ns, ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? minimalEnv(),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${argv[0]} in ${ns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The environment lab processes get: a PATH and nothing inherited that could carry a secret. */
export function minimalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    ...extra,
  };
}

/** Runs argv inside `ns` to completion. */
export function nsRun(
  ns: string,
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return run([IP, 'netns', 'exec', ns, ...argv], opts);
}

const TCP_READY_JS = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
s.setTimeout(800, () => { s.destroy(); process.exit(1); });
s.on('connect', () => { s.destroy(); process.exit(0); });
s.on('error', () => process.exit(1));`;

/** Waits until something accepts TCP connections on host:port, seen from inside `ns`. */
export async function waitForTcp(ns: string, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await nsRun(ns, [process.execPath, '-e', TCP_READY_JS, host, String(port)], {
      timeoutMs: 5000,
    });
    if (r.code === 0) return;
    await sleep(200);
  }
  throw new Error(`nothing listens on ${host}:${port} in ${ns} after ${timeoutMs} ms`);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file, for error messages (lab logs hold no secrets). */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
