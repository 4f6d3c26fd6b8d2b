// Tunnel throughput, the daemon's tunnel beside the stunnel baseline (stunnel-tunnel.ts) in the same
// run: rounds alternate the two paths (daemon up+down, then stunnel up+down), so load from anything
// else on the machine falls on both; each round's figures are printed and the best of the rounds is
// kept (interference only ever lowers throughput). One tunnel at a time in the client namespace.
import { readFileSync } from 'node:fs';
import type { LabPlan } from '../../scripts/lab/plan.js';
import { pidsIn } from '../../scripts/lab/topology.js';
import { type IperfResult, iperfThroughTunnel } from './iperf.js';
import { connect, disconnect, type LabSession } from './session.js';
import { startStunnelTunnel } from './stunnel-tunnel.js';

export interface PathFigures {
  readonly up: IperfResult;
  readonly down: IperfResult;
}

export interface Throughput {
  readonly rounds: number;
  /** Best of the rounds, per direction. */
  readonly daemon: PathFigures;
  readonly stunnel: PathFigures;
  /** The baseline's OpenVPN spawn → "Initialization Sequence Completed", per round. */
  readonly stunnelReadyMs: readonly number[];
}

/** The daemon's PID in the client namespace (viworksd sets its process title to `viworksd`). */
export async function daemonPid(plan: LabPlan): Promise<number | undefined> {
  for (const pid of await pidsIn(plan.client.ns)) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('viworksd')) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function bothWays(plan: LabPlan, seconds: number, pid: number | undefined): Promise<PathFigures> {
  return {
    up: await iperfThroughTunnel(plan, seconds, false, pid),
    down: await iperfThroughTunnel(plan, seconds, true, pid),
  };
}

const DAEMON_PATH = 'daemon (viworksd pinned proxy)';
const STUNNEL_PATH = 'stunnel 5.68 client mode';

const best = (all: readonly IperfResult[]) => all.reduce((a, c) => (c.gbps > a.gbps ? c : a));

const row = (label: string, r: IperfResult) =>
  `  ${label.padEnd(44)} ${r.gbps.toFixed(2).padStart(7)} ${r.cpuPerGb.toFixed(2).padStart(9)}`;

export async function throughput(b: LabSession, seconds: number, rounds: number): Promise<Throughput> {
  console.log(
    `\n  iperf3 ${seconds} s per run, client namespace → tunnel → ${b.plan.internal.address} (internal network), ${rounds} round(s)`,
  );
  console.log(
    `  ${'round path direction'.padEnd(44)} ${'Gbit/s'.padStart(7)} ${'CPU s/GB'.padStart(9)}  (CPU: the proxy process)`,
  );
  const daemon: PathFigures[] = [];
  const stunnel: PathFigures[] = [];
  const readyMs: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    await connect(b);
    const d = await bothWays(b.plan, seconds, await daemonPid(b.plan));
    await disconnect(b);
    const tunnel = await startStunnelTunnel(b.plan);
    let s: PathFigures;
    try {
      s = await bothWays(b.plan, seconds, tunnel.stunnelPid);
    } finally {
      await tunnel.stop();
    }
    daemon.push(d);
    stunnel.push(s);
    readyMs.push(tunnel.readyMs);
    for (const [dir, key] of [
      ['upload', 'up'],
      ['download', 'down'],
    ] as const) {
      console.log(row(`${i} ${DAEMON_PATH.padEnd(31)} ${dir}`, d[key]));
      console.log(row(`${i} ${STUNNEL_PATH.padEnd(31)} ${dir}`, s[key]));
    }
  }
  return {
    rounds,
    daemon: { up: best(daemon.map((x) => x.up)), down: best(daemon.map((x) => x.down)) },
    stunnel: { up: best(stunnel.map((x) => x.up)), down: best(stunnel.map((x) => x.down)) },
    stunnelReadyMs: readyMs,
  };
}
