// Runs Debian's nft for the forwarding table: batches go in on standard input (`nft -f -`), one
// transaction each — never through a file another user could swap, never through argv.
import { execFile } from 'node:child_process';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { NodeConfig } from '../node-config.js';
import { FORWARD_TABLE } from './forward-table.js';

export const DEFAULT_NFT = '/usr/sbin/nft';
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

export interface NftOutcome {
  /** nft's exit status; null when it could not run (missing binary) or timed out. */
  readonly code: number | null;
  readonly stderr: string;
}

export const nftBinary = (config: NodeConfig): string => config.binaries.nft ?? DEFAULT_NFT;

export function runNft(binary: string, args: readonly string[], stdin = ''): Promise<NftOutcome> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      [...args],
      { env: ENV, timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        const status = (err as { code?: unknown } | null)?.code;
        resolve({ code: err ? (typeof status === 'number' ? status : null) : 0, stderr: String(stderr) });
      },
    );
    // nft may exit without reading all of its input (a refused batch): no EPIPE crash.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  });
}

/** Applies one batch atomically; VIW_E_GATEWAY_COMMAND with nft's reason when it is refused. */
export async function applyNftBatch(config: NodeConfig, batch: string): Promise<void> {
  const r = await runNft(nftBinary(config), ['-f', '-'], batch);
  if (r.code === 0) return;
  throw new ViworksError('VIW_E_GATEWAY_COMMAND', {
    message: 'firewall: nft refused the forwarding rules',
    // nft names the failing line: addresses and chain names only, no secret.
    details: [r.code === null ? `${nftBinary(config)} could not run` : r.stderr.trim().slice(0, 300)],
  });
}

/** Whether our table is in the kernel now (`-t`: without set elements, the answer stays small). */
export async function forwardTableLoaded(config: NodeConfig): Promise<boolean> {
  const r = await runNft(nftBinary(config), ['-t', 'list', 'table', 'inet', FORWARD_TABLE]);
  return r.code === 0;
}
