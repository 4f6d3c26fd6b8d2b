// Is a service running? Its pid file names a PID, that PID is alive, and /proc/<pid>/comm is the
// program we expect — a recycled PID (the service died, something else got its number) must never
// be reported as the service, nor be signalled as if it were.
import { readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { readIfExists } from '../state/atomic-file.js';

export function readPidFile(path: string): number | null {
  const bytes = readIfExists(path);
  if (!bytes) return null;
  const text = bytes.toString('utf8').trim();
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const pid = Number(text);
  return pid > 1 ? pid : null;
}

/** Names /proc/<pid>/comm may show for `binary` (comm is cut to 15 characters by the kernel). */
export function commNames(binary: string): string[] {
  const names = new Set([basename(binary)]);
  try {
    names.add(basename(realpathSync(binary)));
  } catch {
    // binary missing: the service cannot be running anyway
  }
  return [...names].map((n) => n.slice(0, 15));
}

/** `pid` is alive and its /proc/<pid>/comm is one of `names` (see commNames). */
export function processMatches(pid: number, names: readonly string[]): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return names.includes(comm);
  } catch {
    return false;
  }
}

/** The service's PID when its pid file names a live process called one of `names`, else null. */
export function runningPid(pidFile: string, names: readonly string[]): number | null {
  const pid = readPidFile(pidFile);
  return pid !== null && processMatches(pid, names) ? pid : null;
}
