import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { EXIT } from '../lib/exit-codes.js';
import type { PreflightResult } from '../lib/results.js';

/** Runs the daemon's preflight checks; exit code 4 (policy) when one fails. */
export default class Preflight extends DaemonCommand<PreflightResult> {
  static override summary = 'Run the preflight checks (network, clock, other VPNs, policy)';
  static override description =
    'Prints every check. Exit code 0 when all pass, 4 when one fails (the result is printed either way).';
  static override examples = ['<%= config.bin %> preflight', '<%= config.bin %> preflight --json'];
  static override flags = { ...socketFlag };

  async run(): Promise<PreflightResult> {
    const { flags } = await this.parse(Preflight);
    this.progress('Running preflight checks…');
    const result = await this.daemon(flags).preflight();
    for (const c of result.checks) {
      this.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(16)} ${c.code ? `${c.code}: ` : ''}${c.detail}`);
    }
    this.log(result.ok ? 'All checks passed.' : 'A check failed: connecting would be refused.');
    if (!result.ok) process.exitCode = EXIT.policy;
    return result;
  }
}
