// Memory, pids and CPU limits of a sandbox, in a cgroup of its own. cgroup v2 when the node has it
// (one directory, viworks-browser/<id>); on a hybrid host whose v2 tree has no controllers, the v1
// memory, pids and cpu hierarchies instead; with neither writable, no limits (reported as `none`,
// and the sandbox still starts: the limits are a resource guard, the isolation does not rest on them).
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserLimits } from './spec.js';

export const CGROUP_PARENT = 'viworks-browser';
const CPU_PERIOD_US = 100_000;

export interface SandboxCgroup {
  readonly kind: 'v2' | 'v1' | 'none';
  /** The sandbox's cgroup directories (one for v2, one per controller for v1). */
  readonly dirs: readonly string[];
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, 2 /* W_OK */);
    return true;
  } catch {
    return false;
  }
}

async function v2Controllers(root: string): Promise<string[]> {
  try {
    return (await readFile(join(root, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
  } catch {
    return [];
  }
}

/** Runs `fill`; if it fails, removes `dirs` (not yet in the sandbox's state, so nothing else would). */
async function undoOnFailure(dirs: readonly string[], fill: () => Promise<void>): Promise<void> {
  try {
    await fill();
  } catch (err) {
    await removeCgroup(dirs);
    throw err;
  }
}

/** Creates the sandbox's cgroup(s) with `limits` written; `none` when the node offers no usable tree. */
export async function createCgroup(root: string, id: string, limits: BrowserLimits): Promise<SandboxCgroup> {
  const memory = String(limits.memory_mb * 1024 * 1024);
  const quota = String(Math.round((limits.cpu_pct / 100) * CPU_PERIOD_US));
  const controllers = await v2Controllers(root);
  if (['memory', 'pids', 'cpu'].every((c) => controllers.includes(c)) && (await writable(root))) {
    const parent = join(root, CGROUP_PARENT);
    const dir = join(parent, id);
    // A v2 controller reaches a child only when every ancestor delegates it.
    await writeFile(join(root, 'cgroup.subtree_control'), '+memory +pids +cpu');
    await mkdir(parent, { recursive: true });
    await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
    await mkdir(dir);
    await undoOnFailure([dir], async () => {
      await writeFile(join(dir, 'memory.max'), memory);
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined); // no swap accounting: fine
      await writeFile(join(dir, 'pids.max'), String(limits.pids));
      await writeFile(join(dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
    });
    return { kind: 'v2', dirs: [dir] };
  }
  const v1 = { memory: join(root, 'memory'), pids: join(root, 'pids'), cpu: join(root, 'cpu') };
  if ((await writable(v1.memory)) && (await writable(v1.pids)) && (await writable(v1.cpu))) {
    const dirs = Object.values(v1).map((hierarchy) => join(hierarchy, CGROUP_PARENT, id));
    const [mem, pids, cpu] = dirs as [string, string, string];
    await undoOnFailure(dirs, async () => {
      for (const dir of dirs) await mkdir(dir, { recursive: true });
      await writeFile(join(mem, 'memory.limit_in_bytes'), memory);
      await writeFile(join(pids, 'pids.max'), String(limits.pids));
      await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), quota);
    });
    return { kind: 'v1', dirs };
  }
  return { kind: 'none', dirs: [] };
}

/** The cgroup.procs files a process writes itself into to join. */
export const procsFiles = (cg: SandboxCgroup): string[] => cg.dirs.map((d) => join(d, 'cgroup.procs'));

/** Removes the directories once their processes are gone (EBUSY while the kernel still frees them). */
export async function removeCgroup(dirs: readonly string[]): Promise<boolean> {
  let clean = true;
  for (const dir of dirs) {
    let removed = false;
    for (let attempt = 0; attempt < 50 && !removed; attempt++) {
      try {
        await rmdir(dir);
        removed = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') removed = true;
        else await sleep(100);
      }
    }
    clean &&= removed;
  }
  return clean;
}
