// Starts, lists and stops the per-session browser sandboxes of this node. Idempotent: spawning an id
// that runs returns its facts; terminating an unknown id is {removed: false}. Fail closed: a spawn
// that fails anywhere tears down what it made; a terminate that cannot prove everything is gone
// throws and keeps the state file, so the reaper tries again.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { parseNet } from '../firewall/ipv4.js';
import { launchArgv } from './bwrap-argv.js';
import { createCgroup, procsFiles, removeCgroup } from './cgroup.js';
import { renderChromiumPolicy } from './chromium-policy.js';
import { inNetns, NODE_ENV, runCommand } from './exec.js';
import {
  type BrowserPaths,
  namesOf,
  type SandboxNames,
  slotAddresses,
  slotCount,
  VIEWER_PORT,
} from './names.js';
import {
  createSandboxNetwork,
  linkExists,
  netnsExists,
  netnsMounted,
  netnsPids,
  removeSandboxNetwork,
} from './netns.js';
import { applyRuleset, NFT, tableExists } from './nft-apply.js';
import { renderNodeRules, renderSandboxRules, renderTableDelete } from './nft-rules.js';
import { type SandboxProcessView, sandboxPids } from './procs.js';
import { writeSeccompFilter } from './seccomp.js';
import { checkBrowserSpec, checkPool } from './spec.js';
import {
  claimSlot,
  createStateExclusive,
  ensureStateDir,
  listStateIds,
  logFile,
  policyFile,
  readState,
  releaseSlot,
  removeStateFiles,
  type SandboxState,
  seccompFile,
  writeState,
} from './state.js';
import { viewerStatus } from './viewer.js';

export const DEFAULT_UID = 65534;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** How long terminate waits for the sandbox's processes to be gone before it reports a failure. */
const KILL_WAIT_MS = 5_000;

/** What the caller (the browser_spawn verb, nginx's renderer) needs to know of a sandbox. */
export interface SandboxFacts {
  readonly id: string;
  /** Where the viewer (noVNC + websockify) listens, reachable from the node's namespace only. */
  readonly address: string;
  readonly port: number;
  readonly netns: string;
  readonly started_at: string;
  readonly start_ms: number | null;
  /** Whether the limits are enforced, and by which cgroup version. */
  readonly limits: 'v2' | 'v1' | 'none';
  /** Whether its processes run (list and reap look; spawn returns only running sandboxes). */
  readonly running: boolean;
}

const idPattern = /^s-[0-9a-f]{32}$/;

function factsOf(s: SandboxState, running: boolean): SandboxFacts {
  return {
    id: s.id,
    address: s.address,
    port: s.port,
    netns: s.netns,
    started_at: s.started_at,
    start_ms: s.start_ms,
    limits: s.cgroup_kind,
    running,
  };
}

const viewOf = (s: SandboxState): SandboxProcessView => ({
  netns: s.netns,
  keeperPid: s.keeper_pid,
  cgroupDirs: s.cgroup_dirs,
});

const namesFromState = (s: SandboxState): SandboxNames => ({
  netns: s.netns,
  nodeIf: s.node_if,
  sandboxIf: s.sandbox_if,
  nodeTable: s.node_table,
});

/** Whether the sandbox's keeper still runs — inside its namespace, so a reused PID does not count. */
async function keeperRunning(s: SandboxState): Promise<boolean> {
  return s.keeper_pid !== null && (await netnsPids(s.netns)).includes(s.keeper_pid);
}

function failed(message: string, details: string[] = [], cause?: unknown): ViworksError {
  return new ViworksError('VIW_E_GATEWAY_COMMAND', {
    message: `browser sandbox: ${message}`,
    details,
    cause,
  });
}

/**
 * Starts the launch chain detached (its own process group), the seccomp program on fd 3
 * (SECCOMP_FD) and Chromium's managed policy on fd 4 (POLICY_FD).
 */
function startKeeper(argv: readonly string[], log: string, seccomp: string, policy: string): number {
  const out = openSync(log, 'a', 0o600);
  const filter = openSync(seccomp, 'r');
  const managed = openSync(policy, 'r');
  try {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, {
      detached: true,
      stdio: ['ignore', out, out, filter, managed],
      env: NODE_ENV,
    });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw failed('the launcher did not start');
    return child.pid;
  } finally {
    closeSync(out);
    closeSync(filter);
    closeSync(managed);
  }
}

/**
 * Writes the sandbox's managed Chromium policy (root's, 0644: nothing secret, and the mode is set
 * again in case a leftover file of an earlier spawn kept another).
 */
async function writeChromiumPolicy(path: string, fileTransfer: boolean): Promise<void> {
  await writeFile(path, renderChromiumPolicy({ file_transfer: fileTransfer }), { mode: 0o644 });
  await chmod(path, 0o644);
}

/** Whether `pid` runs (a zombie does not). While starting, the keeper may not have joined the namespace yet. */
async function pidAlive(pid: number | null): Promise<boolean> {
  if (pid === null) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^[0-9]+ \(.*\) [ZX]/s.test(stat);
}

/** The last lines of the sandbox's log, for the error of a failed start (the log goes with the teardown). */
async function logTail(log: string): Promise<string[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .slice(-5)
    .map((line) => line.slice(0, 200));
}

async function waitForViewer(
  s: SandboxState,
  nodeNs: string | undefined,
  timeoutMs: number,
  log: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!(await pidAlive(s.keeper_pid)))
      throw failed('the sandbox exited while starting', await logTail(log));
    last = await viewerStatus(nodeNs, s.address, s.port);
    if (last === '200') return;
    await sleep(200);
  }
  throw failed('the viewer did not answer in time', [
    `last answer: ${last}`.slice(0, 100),
    ...(await logTail(log)),
  ]);
}

/**
 * Starts the sandbox `input` describes (checked here: spec.ts), or returns the facts of the one that
 * runs for that id. Throws VIW_E_VALIDATION for a bad spec, VIW_E_CONFLICT when another spawn of the
 * id is under way or its names are taken, VIW_E_GATEWAY_COMMAND when a step fails (after teardown).
 */
export async function spawnBrowserSandbox(input: unknown, paths: BrowserPaths): Promise<SandboxFacts> {
  const started = performance.now();
  const pool = checkPool(paths.pool);
  const refused = (paths.refusedNetworks ?? []).map((c) => {
    const net = parseNet(c);
    if (!net)
      throw new ViworksError('VIW_E_CONFIG', { message: `browser sandbox: bad refused network ${c}` });
    return net;
  });
  const spec = checkBrowserSpec(input, pool, refused);
  const dir = paths.stateDir;
  await ensureStateDir(dir);

  const existing = await readState(dir, spec.id);
  if (existing) {
    if (existing.phase === 'running' && (await keeperRunning(existing))) return factsOf(existing, true);
    if (existing.phase === 'starting')
      throw new ViworksError('VIW_E_CONFLICT', { message: 'browser sandbox: spawn under way' });
    // It ran and died: clear what is left, then start afresh.
    await terminateBrowserSandbox(spec.id, paths);
  }

  const names = namesOf(spec.id);
  if (await netnsExists(names.netns))
    throw new ViworksError('VIW_E_CONFLICT', { message: 'browser sandbox: its namespace name is taken' });
  const slot = await claimSlot(dir, spec.id, slotCount(pool));
  if (slot === undefined) throw failed('the sandbox pool is full');
  const addr = slotAddresses(pool, slot);
  const nodeNs = paths.nodeNetns;
  let state: SandboxState = {
    id: spec.id,
    phase: 'starting',
    netns: names.netns,
    node_if: names.nodeIf,
    sandbox_if: names.sandboxIf,
    node_table: names.nodeTable,
    node_netns: nodeNs ?? null,
    slot,
    node_address: addr.node,
    address: addr.sandbox,
    port: VIEWER_PORT,
    targets: spec.targets,
    keeper_pid: null,
    cgroup_kind: 'none',
    cgroup_dirs: [],
    started_at: new Date().toISOString(),
    start_ms: null,
  };
  if (!(await createStateExclusive(dir, state))) {
    await releaseSlot(dir, slot);
    throw new ViworksError('VIW_E_CONFLICT', { message: 'browser sandbox: spawn under way' });
  }
  try {
    await createSandboxNetwork(names, addr, nodeNs);
    const common = { targets: spec.targets };
    await applyRuleset(
      nodeNs,
      'node rules',
      renderNodeRules({
        ...common,
        table: names.nodeTable,
        ifname: names.nodeIf,
        sandboxAddress: addr.sandbox,
        pool: paths.pool,
      }),
    );
    await applyRuleset(
      names.netns,
      'sandbox rules',
      renderSandboxRules({
        ...common,
        ifname: names.sandboxIf,
        nodeAddress: addr.node,
        viewerPort: VIEWER_PORT,
      }),
    );
    const cgroup = await createCgroup(paths.cgroupRoot ?? '/sys/fs/cgroup', spec.id, spec.limits);
    state = { ...state, cgroup_kind: cgroup.kind, cgroup_dirs: [...cgroup.dirs] };
    await writeState(dir, state);
    await writeSeccompFilter(seccompFile(dir, spec.id));
    await writeChromiumPolicy(policyFile(dir, spec.id), spec.file_transfer);
    const argv = launchArgv({
      netns: names.netns,
      uid: paths.uid ?? DEFAULT_UID,
      gid: paths.gid ?? DEFAULT_UID,
      cgroupProcs: procsFiles(cgroup),
      viewerAddress: addr.sandbox,
      viewerPort: VIEWER_PORT,
      startUrl: spec.start_url,
      clipboard: spec.clipboard,
    });
    const files = [logFile(dir, spec.id), seccompFile(dir, spec.id), policyFile(dir, spec.id)] as const;
    state = { ...state, keeper_pid: startKeeper(argv, ...files) };
    await writeState(dir, state);
    await waitForViewer(
      state,
      nodeNs,
      paths.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      logFile(dir, spec.id),
    );
    state = { ...state, phase: 'running', start_ms: Math.round(performance.now() - started) };
    await writeState(dir, state);
    return factsOf(state, true);
  } catch (err) {
    // Terminate frees the slot only once everything is gone: a leftover keeps its /30 from reuse.
    await terminateBrowserSandbox(spec.id, paths).catch(() => undefined);
    throw err instanceof ViworksError ? err : failed('spawn failed', [String(err).slice(0, 300)], err);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** What of a sandbox is still there (empty: nothing). */
async function leftovers(s: SandboxState): Promise<string[]> {
  const nodeNs = s.node_netns ?? undefined;
  const left: string[] = [];
  const pids = await sandboxPids(viewOf(s));
  if (pids.length > 0) left.push(`processes ${pids.join(',')}`);
  if (await netnsExists(s.netns)) left.push(`namespace ${s.netns}`);
  if (await netnsMounted(s.netns)) left.push(`mount /run/netns/${s.netns}`);
  if (await linkExists(s.node_if, nodeNs)) left.push(`link ${s.node_if}`);
  if (await tableExists(nodeNs, s.node_table)) left.push(`nft table ${s.node_table}`);
  for (const d of s.cgroup_dirs) if (existsSync(d)) left.push(`cgroup ${d}`);
  return left;
}

/**
 * Stops sandbox `id` and removes everything it had: processes, nft table, veth, namespace, cgroup,
 * files. {removed: false} when there is no such sandbox; VIW_E_GATEWAY_COMMAND naming what is left
 * when something could not be removed (the state stays, for the reaper).
 */
export async function terminateBrowserSandbox(
  id: string,
  paths: BrowserPaths,
): Promise<{ removed: boolean }> {
  if (!idPattern.test(id)) throw new ViworksError('VIW_E_VALIDATION', { message: 'invalid session id' });
  const dir = paths.stateDir;
  const s = await readState(dir, id);
  if (!s) return { removed: false };
  const nodeNs = s.node_netns ?? undefined;
  // The keeper's group holds the keeper and bwrap; bwrap's --die-with-parent and the pid namespace
  // take the rest. Only a keeper seen inside the sandbox's namespace is killed by group (PID reuse).
  if (await keeperRunning(s)) {
    try {
      process.kill(-s.keeper_pid!, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  // Whatever is still in the sandbox's namespace, cgroups or process tree was started for it.
  const view = viewOf(s);
  const deadline = Date.now() + KILL_WAIT_MS;
  for (
    let pids = await sandboxPids(view);
    pids.length > 0 && Date.now() < deadline;
    pids = await sandboxPids(view)
  ) {
    for (const pid of pids) killQuietly(pid);
    await sleep(50);
  }
  await runCommand(inNetns(nodeNs, [NFT, '-f', '-']), renderTableDelete('inet', s.node_table));
  await removeSandboxNetwork(namesFromState(s), nodeNs);
  await removeCgroup(s.cgroup_dirs);
  const left = await leftovers(s);
  if (left.length > 0) throw failed('teardown left resources behind', left);
  await releaseSlot(dir, s.slot);
  await removeStateFiles(dir, id);
  return { removed: true };
}

/** Every sandbox this node has a state for, with whether its processes run. */
export async function listBrowserSandboxes(paths: BrowserPaths): Promise<SandboxFacts[]> {
  const facts: SandboxFacts[] = [];
  for (const id of await listStateIds(paths.stateDir)) {
    const s = await readState(paths.stateDir, id);
    if (s) facts.push(factsOf(s, await keeperRunning(s)));
  }
  return facts;
}
