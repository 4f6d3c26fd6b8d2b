// The node-side reaper: removes the sandboxes whose session is over (the backend's word, `alive`),
// those whose processes died, and leftovers no state file names any more (a crash mid-spawn or
// mid-terminate): namespaces `vwb-<10 hex>` whose veth ends in this node's namespace, node tables
// `viworks_browser_<10 hex>`, slot claims.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN } from './bwrap-argv.js';
import { inNetns, runCommand } from './exec.js';
import type { BrowserPaths } from './names.js';
import { netnsPids } from './netns.js';
import { inetTables, NFT } from './nft-apply.js';
import { renderTableDelete } from './nft-rules.js';
import { listBrowserSandboxes, terminateBrowserSandbox } from './sandbox.js';
import { listStateIds, readState, releaseSlot } from './state.js';

export interface ReapResult {
  /** Session ids whose sandbox was removed. */
  readonly terminated: string[];
  /** Leftovers without a state file that were removed (namespaces, tables, slots). */
  readonly orphans: string[];
  /** Sandboxes that could not be removed (they stay, for the next round). */
  readonly failed: string[];
}

/** A sandbox still starting is left alone for this long (its spawn may be waiting for the viewer). */
const STARTING_GRACE_MS = 120_000;

export async function reapBrowserSandboxes(
  alive: (id: string) => boolean,
  paths: BrowserPaths,
): Promise<ReapResult> {
  const result: ReapResult = { terminated: [], orphans: [], failed: [] };
  for (const facts of await listBrowserSandboxes(paths)) {
    const s = await readState(paths.stateDir, facts.id);
    const young = s?.phase === 'starting' && Date.now() - Date.parse(s.started_at) < STARTING_GRACE_MS;
    if (alive(facts.id) && (facts.running || young)) continue;
    try {
      if ((await terminateBrowserSandbox(facts.id, paths)).removed) result.terminated.push(facts.id);
    } catch {
      result.failed.push(facts.id);
    }
  }
  await reapOrphans(paths, result.orphans);
  return result;
}

/** Whether a spawn made a state for this id prefix since the round began (its namespace is no orphan). */
async function claimedNow(paths: BrowserPaths, short: string): Promise<boolean> {
  return (await listStateIds(paths.stateDir)).some((id) => id.slice(2, 12) === short);
}

async function reapOrphans(paths: BrowserPaths, orphans: string[]): Promise<void> {
  const known = new Set((await listStateIds(paths.stateDir)).map((id) => id.slice(2, 12)));
  const ns = await runCommand([BIN.ip, 'netns', 'list']);
  for (const name of ns.stdout.split('\n').map((l) => l.split(' ')[0] ?? '')) {
    const short = /^vwb-([0-9a-f]{10})$/.exec(name)?.[1];
    if (!short || known.has(short) || (await claimedNow(paths, short))) continue;
    // Namespaces are host-wide: one is this node's only while its veth's node end is in this node's
    // namespace (another node on the host — a lab, a test — has its own sandboxes).
    const peer = await runCommand(inNetns(paths.nodeNetns, [BIN.ip, 'link', 'show', `vwbn${short}`]));
    if (peer.code !== 0) continue;
    for (const pid of await netnsPids(name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await runCommand(inNetns(paths.nodeNetns, [BIN.ip, 'link', 'del', `vwbn${short}`]));
    await runCommand([BIN.ip, 'netns', 'del', name]);
    orphans.push(`namespace ${name}`);
  }
  for (const table of await inetTables(paths.nodeNetns)) {
    const short = /^viworks_browser_([0-9a-f]{10})$/.exec(table)?.[1];
    if (!short || known.has(short) || (await claimedNow(paths, short))) continue;
    await runCommand(inNetns(paths.nodeNetns, [NFT, '-f', '-']), renderTableDelete('inet', table));
    orphans.push(`nft table ${table}`);
  }
  const slotsDir = join(paths.stateDir, 'slots');
  const states = new Set(await listStateIds(paths.stateDir));
  for (const slot of await readdir(slotsDir).catch(() => [] as string[])) {
    if (!/^[0-9]+$/.test(slot)) continue;
    const owner = await readFile(join(slotsDir, slot), 'utf8').catch(() => '');
    // A claim is written just before its state file: an empty one may be a spawn in progress.
    const age = Date.now() - (await stat(join(slotsDir, slot))).mtimeMs;
    if (owner === '' || states.has(owner) || age < STARTING_GRACE_MS) continue;
    await releaseSlot(paths.stateDir, Number(slot));
    orphans.push(`slot ${slot}`);
  }
}
