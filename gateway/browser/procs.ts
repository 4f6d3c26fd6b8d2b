// Which processes belong to a sandbox, and what memory they use. The sandbox's network namespace does
// not list them all: Chromium's own sandbox puts renderers into namespaces of their own. So a
// sandbox's processes are the union of three views — its network namespace, its cgroups, and the
// process tree under its keeper — and teardown checks all three are empty.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { netnsPids } from './netns.js';

/** Every process under `root` (not `root` itself), from /proc's parent links. */
export async function descendants(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) may contain spaces and parentheses: parse after its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue = [...queue, ...next];
  }
  return found;
}

async function cgroupPids(dirs: readonly string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const dir of dirs) {
    const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    pids.push(
      ...text
        .split('\n')
        .filter((l) => /^[0-9]+$/.test(l))
        .map(Number),
    );
  }
  return pids;
}

export interface SandboxProcessView {
  readonly netns: string;
  readonly keeperPid: number | null;
  readonly cgroupDirs: readonly string[];
}

/** The sandbox's processes (sorted, without duplicates), zombies included. */
export async function sandboxPids(v: SandboxProcessView): Promise<number[]> {
  const all = new Set([...(await netnsPids(v.netns)), ...(await cgroupPids(v.cgroupDirs))]);
  if (v.keeperPid !== null && all.has(v.keeperPid)) {
    // Only a keeper seen in the namespace or cgroup is ours: a bare PID may have been reused.
    for (const pid of await descendants(v.keeperPid)) all.add(pid);
  }
  return [...all].sort((a, b) => a - b);
}

export interface MemoryUse {
  /** Sum of the processes' resident sets (shared pages counted once per process). */
  readonly rssKb: number;
  /** Sum of proportional set sizes (shared pages split between their users): the honest total. */
  readonly pssKb: number;
}

export async function memoryOf(pids: readonly number[]): Promise<MemoryUse> {
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    rssKb += Number(/^Rss:\s+([0-9]+) kB/m.exec(rollup)?.[1] ?? 0);
    pssKb += Number(/^Pss:\s+([0-9]+) kB/m.exec(rollup)?.[1] ?? 0);
  }
  return { rssKb, pssKb };
}
