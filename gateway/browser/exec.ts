// Runs the node's programs (ip, nft) for the sandbox code: a fixed environment, a hard timeout, input
// on stdin, and a result to inspect rather than an exception — teardown must go on after a failure.
import { execFile } from 'node:child_process';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { BIN } from './bwrap-argv.js';

export const NODE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

export interface CommandResult {
  /** Exit status; null when the program could not run or was killed by the timeout. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCommand(argv: readonly string[], input = '', timeoutMs = 20_000): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: NODE_ENV, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const status = (err as { code?: unknown } | null)?.code;
        resolve({ code: err ? (typeof status === 'number' ? status : null) : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** `argv` run inside namespace `ns` (undefined: this process's own). */
export const inNetns = (ns: string | undefined, argv: readonly string[]): string[] =>
  ns === undefined ? [...argv] : [BIN.ip, 'netns', 'exec', ns, ...argv];

/** Like runCommand, but VIW_E_GATEWAY_COMMAND (naming `what` and the program's reason) unless it exits 0. */
export async function mustRun(what: string, argv: readonly string[], input = ''): Promise<string> {
  const r = await runCommand(argv, input);
  if (r.code === 0) return r.stdout;
  throw new ViworksError('VIW_E_GATEWAY_COMMAND', {
    message: `browser sandbox: ${what} failed`,
    details: [(r.code === null ? `${argv[0]} did not finish` : r.stderr.trim()).slice(0, 300)],
  });
}
