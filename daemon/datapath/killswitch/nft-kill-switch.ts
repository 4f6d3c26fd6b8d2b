// Installs and removes the kill switch with Debian's nft: the ruleset (ruleset.ts) goes in on
// nft's standard input as one transaction — never through a file other users could touch, never
// through argv. Whether it is in place is read back from the kernel, which keeps the table when
// the daemon dies (the point of a kill switch).
import { execFile } from 'node:child_process';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { KILL_SWITCH_TABLE, type KillSwitchPlan, removeKillSwitch, renderKillSwitch } from './ruleset.js';

export const NFT = '/usr/sbin/nft';

/** Runs a command in the daemon's network namespace (a lab or test may wrap it in `ip netns exec`). */
export type NftRunner = (
  args: readonly string[],
  stdin?: string,
) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export const localNft: NftRunner = (args, stdin) =>
  new Promise((resolve) => {
    const child = execFile(NFT, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      // A number: nft's exit status; null: it could not run (missing) or was stopped (timeout).
      const status = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof status === 'number' ? status : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // nft exits without reading stdin for `list`: the EPIPE that follows must not crash the daemon.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin ?? '');
  });

export class NftKillSwitch {
  constructor(private readonly nft: NftRunner = localNft) {}

  private async run(script: string, what: string): Promise<void> {
    const r = await this.nft(['-f', '-'], script);
    if (r.code !== 0) {
      throw new ViworksError('VIW_E_KILL_SWITCH', {
        message: `The kill switch could not be ${what}`,
        // nft's own message names the rule; it carries no secret (addresses and ports only).
        details: [
          r.code === null
            ? `${NFT} could not run or did not answer (apt-get install nftables)`
            : r.stderr.trim().slice(0, 300),
        ],
      });
    }
  }

  /** Installs the switch for `plan`, or replaces the one in place, in one transaction. */
  async install(plan: KillSwitchPlan): Promise<void> {
    await this.run(renderKillSwitch(plan), 'installed');
  }

  /** Removes the switch (only the daemon's own table); a no-op when none is in place. */
  async remove(): Promise<void> {
    await this.run(removeKillSwitch(), 'removed');
  }

  /** Whether the daemon's table is in the kernel now. */
  async installed(): Promise<boolean> {
    const r = await this.nft(['list', 'table', 'inet', KILL_SWITCH_TABLE]);
    return r.code === 0;
  }
}
