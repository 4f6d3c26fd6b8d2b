import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { usageError } from '../lib/output.js';
import type { TuiResult } from '../lib/results.js';

/**
 * The full-screen terminal client: log in (password, phone code), connect, watch the steps, traffic
 * and the daemon's log, disconnect. Everything goes through the daemon's LocalClient; quitting
 * leaves the tunnel as it is. Needs a terminal on stdin and stdout; scripts use `viworks connect`
 * and `viworks status --watch --json` instead.
 */
export default class Tui extends DaemonCommand<TuiResult> {
  static override summary = 'Full-screen terminal client: connect, watch progress, traffic and logs';
  static override description =
    'Keys: c connect, d disconnect, p preflight, l show/hide the daemon log, q quit (the tunnel stays up). ' +
    'Needs a terminal; --json is refused (use `viworks status --watch --json` for a machine-readable stream).';
  static override examples = [
    '<%= config.bin %> tui',
    '<%= config.bin %> tui --socket /run/viworks/viworksd.sock',
  ];
  static override flags = { ...socketFlag };

  async run(): Promise<TuiResult> {
    const { flags } = await this.parse(Tui);
    if (this.jsonEnabled()) {
      throw usageError(
        'viworks tui has no JSON output: it is an interactive screen',
        'For a machine-readable stream use `viworks status --watch --json`; to connect from a script, `viworks connect --json`.',
      );
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw usageError(
        `viworks tui needs a terminal: ${process.stdout.isTTY ? 'stdin' : 'stdout'} is not a TTY`,
        'Run it in a terminal. Scripts use `viworks connect` and `viworks status --watch --json`.',
      );
    }
    // Loaded here, not at the top: other commands never load React and Ink.
    const { renderTui } = await import('../../tui/render.js');
    const out = await renderTui(flags.socket ? { socketPath: flags.socket } : {});
    return { v: 1, state: out.state };
  }
}
