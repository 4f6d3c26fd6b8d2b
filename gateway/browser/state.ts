// A sandbox's facts on disk, one JSON file per session id under paths.stateDir, written before the
// first resource is made (so a crash mid-spawn leaves something the reaper can find) and removed
// last. Pool slots are claimed with exclusive creates, so two spawns never share a /30.
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { BrowserTarget } from './spec.js';

export const SandboxState = Type.Object(
  {
    id: Type.String({ pattern: '^s-[0-9a-f]{32}$' }),
    phase: Type.Union([Type.Literal('starting'), Type.Literal('running')]),
    netns: Type.String({ maxLength: 15 }),
    node_if: Type.String({ maxLength: 15 }),
    sandbox_if: Type.String({ maxLength: 15 }),
    node_table: Type.String({ maxLength: 40 }),
    node_netns: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    slot: Type.Integer({ minimum: 0 }),
    node_address: Type.String({ maxLength: 15 }),
    address: Type.String({ maxLength: 15 }),
    port: Type.Integer(),
    targets: Type.Array(BrowserTarget),
    keeper_pid: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    cgroup_kind: Type.Union([Type.Literal('v2'), Type.Literal('v1'), Type.Literal('none')]),
    cgroup_dirs: Type.Array(Type.String({ maxLength: 200 })),
    started_at: Type.String({ maxLength: 40 }),
    /** Milliseconds from the spawn call to the viewer's first 200. */
    start_ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  closed,
);
export type SandboxState = Static<typeof SandboxState>;
const stateValidator = strictValidator(SandboxState);

export const stateFile = (dir: string, id: string): string => join(dir, `${id}.json`);
export const logFile = (dir: string, id: string): string => join(dir, `${id}.log`);
export const seccompFile = (dir: string, id: string): string => join(dir, `${id}.bpf`);
export const policyFile = (dir: string, id: string): string => join(dir, `${id}.chromium-policy.json`);
const slotFile = (dir: string, slot: number): string => join(dir, 'slots', String(slot));

export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(join(dir, 'slots'), { recursive: true, mode: 0o700 });
}

/** Writes the state atomically (temporary file, then rename). */
export async function writeState(dir: string, state: SandboxState): Promise<void> {
  const tmp = `${stateFile(dir, state.id)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, stateFile(dir, state.id));
}

/** Writes the first state of `id`; false when one exists (another spawn of the same id owns it). */
export async function createStateExclusive(dir: string, state: SandboxState): Promise<boolean> {
  try {
    const fh = await open(stateFile(dir, state.id), 'wx', 0o600);
    await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await fh.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The state of `id`, or undefined when there is none; a file that does not parse is an error. */
export async function readState(dir: string, id: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(dir, id), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return stateValidator.parse(JSON.parse(text));
}

/** Session ids that have a state file. */
export async function listStateIds(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  return entries
    .map((name) => /^(s-[0-9a-f]{32})\.json$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
}

/** Claims the lowest free slot below `count` for `id` (exclusive create); undefined when the pool is full. */
export async function claimSlot(dir: string, id: string, count: number): Promise<number | undefined> {
  for (let k = 0; k < count; k++) {
    try {
      const fh = await open(slotFile(dir, k), 'wx', 0o600);
      await fh.writeFile(id);
      await fh.close();
      return k;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return undefined;
}

export async function releaseSlot(dir: string, slot: number): Promise<void> {
  await rm(slotFile(dir, slot), { force: true });
}

/** Removes the state, log, seccomp and policy files of `id` (state last: it is what finds the rest). */
export async function removeStateFiles(dir: string, id: string): Promise<void> {
  await rm(logFile(dir, id), { force: true });
  await rm(seccompFile(dir, id), { force: true });
  await rm(policyFile(dir, id), { force: true });
  await rm(`${stateFile(dir, id)}.tmp`, { force: true });
  await rm(stateFile(dir, id), { force: true });
}
