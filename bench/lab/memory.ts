// Resident memory for the lab bench: viworksd's VmRSS (from /proc, in MB) while connected and idle
// after a session, beside the floor measured in the same run — an idle bare `node` process started
// the same way (no modules of ours), so the difference is what the daemon itself holds.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { vmRssKiB } from '../daemon-process.js';

/** VmRSS of a process in MiB; null when it is gone. */
export function rssMb(pid: number | undefined): number | null {
  const kib = vmRssKiB(pid);
  return kib === null ? null : kib / 1024;
}

/** An idle `node` with nothing loaded, after it settled: the floor any Node daemon starts from. */
export async function bareNodeRssMb(): Promise<number | null> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    await sleep(1_000);
    return rssMb(child.pid);
  } finally {
    child.kill('SIGKILL');
  }
}
