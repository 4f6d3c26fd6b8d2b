// iperf3 across the lab's tunnel: the server in the internal namespace (reachable only through the
// gateway, so a figure proves the bytes crossed the tunnel), the client in the client namespace. One
// one-off server (`-1`) per run, stopped by its PID whatever happens.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LabPlan } from '../../scripts/lab/plan.js';
import { IP, NsProcess, run } from '../../scripts/testkit/netns.js';

export const IPERF3 = '/usr/bin/iperf3';

export interface IperfResult {
  readonly gbps: number;
  readonly bytes: number;
  /** CPU seconds the watched process (the proxy) used per GB moved. */
  readonly cpuPerGb: number;
}

/** iperf3 -c (client namespace) → tunnel → iperf3 -s (internal namespace); -R = download. */
export async function iperfThroughTunnel(
  plan: LabPlan,
  seconds: number,
  reverse: boolean,
  watchPid: number | undefined,
): Promise<IperfResult> {
  const server = new NsProcess(
    'iperf3 -s',
    // --forceflush: iperf3 buffers its banner when stdout is a pipe.
    spawn(
      IP,
      ['netns', 'exec', plan.internal.ns, IPERF3, '-s', '-1', '-B', plan.internal.address, '--forceflush'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  try {
    if (!(await server.waitFor(/Server listening/, 10_000))) throw new Error(`iperf3 -s: ${server.output}`);
    const argv = [IP, 'netns', 'exec', plan.client.ns, IPERF3, '-c', plan.internal.address];
    argv.push('-t', String(seconds), '--json', ...(reverse ? ['-R'] : []));
    const cpu0 = pidCpu(watchPid);
    const r = await run(argv, { timeoutMs: (seconds + 20) * 1000 });
    const cpu = pidCpu(watchPid) - cpu0;
    const out = JSON.parse(r.stdout || '{}') as {
      error?: string;
      end?: { sum_received?: { bits_per_second?: number; bytes?: number } };
    };
    const sum = out.end?.sum_received;
    if (typeof sum?.bits_per_second !== 'number' || typeof sum.bytes !== 'number')
      throw new Error(`iperf3 -c failed: ${out.error ?? r.stderr.trim()}`);
    return { gbps: sum.bits_per_second / 1e9, bytes: sum.bytes, cpuPerGb: cpu / (sum.bytes / 1e9) };
  } finally {
    await server.stop();
  }
}

/** utime + stime of a process, from /proc (Linux), in seconds; NaN when unknown or gone. */
export function pidCpu(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}
