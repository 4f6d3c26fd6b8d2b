// A viworksd child as the benches drive it: wait until its local API answers, read its resident
// memory, stop it (SIGTERM, then SIGKILL after 5 s). Shared by daemon.bench.ts, daemon-memory.ts
// and the lab bench (lab/memory.ts).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalClient } from '../core/localclient/index.js';

export async function waitForDaemon(
  socketPath: string,
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const client = new LocalClient({ socketPath });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    try {
      await client.status();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** VmRSS of a process in KiB (/proc/PID/status); null when it is gone. */
export function vmRssKiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
