// Loads the rendered filter rules. Order matters (see gateway/render/iptables-rules.ts): our chain
// and the INPUT → VIWORKS_INPUT jump exist BEFORE the restore sets INPUT to DROP, or the SSH session
// applying the config would lose its own ESTABLISHED accept. The jump is added once (`-C` then
// `-A`); `iptables-restore --noflush` leaves every other chain (fwknopd's) alone and empties ours
// before refilling it, so re-applying is idempotent.
import { execFile } from 'node:child_process';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { NodeConfig } from '../node-config.js';
import {
  VIWORKS_FORWARD_CHAIN,
  VIWORKS_FORWARD_JUMP,
  VIWORKS_INPUT_CHAIN,
  VIWORKS_INPUT_JUMP,
} from '../render/iptables-rules.js';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

function exec(binary: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { env: ENV, timeout: 30_000, killSignal: 'SIGKILL' }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr: String(stderr) });
    });
  });
}

const failed = (what: string) =>
  new ViworksError('VIW_E_GATEWAY_COMMAND', { message: `firewall: ${what} failed` });

/** Returns true when the jump had to be added (the firewall was not in place before). */
export async function applyFirewall(config: NodeConfig): Promise<boolean> {
  const { iptables, iptables_restore } = config.binaries;
  let added = false;
  for (const [chain, jump] of [
    [VIWORKS_INPUT_CHAIN, VIWORKS_INPUT_JUMP],
    [VIWORKS_FORWARD_CHAIN, VIWORKS_FORWARD_JUMP],
  ] as const) {
    const list = await exec(iptables, ['-w', '-S', chain]);
    if (list.code !== 0 && (await exec(iptables, ['-w', '-N', chain])).code !== 0) {
      throw failed('creating the chain');
    }
    if ((await exec(iptables, ['-w', '-C', ...jump])).code !== 0) {
      if ((await exec(iptables, ['-w', '-A', ...jump])).code !== 0) throw failed('adding the jump');
      if (chain === VIWORKS_INPUT_CHAIN) added = true;
    }
  }
  const restore = await exec(iptables_restore, ['--wait', '--noflush', config.facts.paths.iptablesRules]);
  if (restore.code !== 0) throw failed('iptables-restore');
  return added;
}
