// Loads a ruleset into a namespace's kernel tables with Debian's nft, the batch on stdin (one
// transaction; never a file another user could swap, never argv).
import { inNetns, mustRun, runCommand } from './exec.js';

export const NFT = '/usr/sbin/nft';

export async function applyRuleset(ns: string | undefined, what: string, ruleset: string): Promise<void> {
  await mustRun(what, inNetns(ns, [NFT, '-f', '-']), ruleset);
}

/** Whether `inet <table>` exists in `ns` (`-t`: no set elements, a small answer). */
export async function tableExists(ns: string | undefined, table: string): Promise<boolean> {
  const r = await runCommand(inNetns(ns, [NFT, '-t', 'list', 'table', 'inet', table]));
  return r.code === 0;
}

/** Names of the inet tables in `ns`. */
export async function inetTables(ns: string | undefined): Promise<string[]> {
  const r = await runCommand(inNetns(ns, [NFT, 'list', 'tables', 'inet']));
  return r.stdout
    .split('\n')
    .map((line) => /^table inet (\S+)$/.exec(line.trim())?.[1])
    .filter((t): t is string => t !== undefined);
}
