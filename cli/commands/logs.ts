import { Flags } from '@oclif/core';
import type { LogLine } from '../../core/localclient/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import type { LogsResult } from '../lib/results.js';

const format = (l: LogLine) => `${l.at} ${l.level.padEnd(5)} ${l.state ? `[${l.state}] ` : ''}${l.msg}`;

/** The daemon's recent log (never secrets); --follow streams new lines until interrupted. */
export default class Logs extends DaemonCommand<LogsResult> {
  static override summary = "Show the daemon's log";
  static override description =
    'With --follow, keeps printing new lines (with --json: one {v:1, lines:[line]} object per line).';
  static override examples = ['<%= config.bin %> logs --lines 50', '<%= config.bin %> logs --follow'];
  static override flags = {
    ...socketFlag,
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new lines until interrupted' }),
    lines: Flags.integer({
      char: 'n',
      min: 0,
      max: 9999,
      description: 'How many recent lines first (default: all kept)',
    }),
  };

  async run(): Promise<LogsResult> {
    const { flags } = await this.parse(Logs);
    const client = this.daemon(flags);
    const lines: LogLine[] = [];
    await this.follow(
      (signal) =>
        client.logs({
          follow: flags.follow,
          ...(flags.lines === undefined ? {} : { lines: flags.lines }),
          signal,
        }),
      (line) => {
        if (flags.follow && this.jsonEnabled()) this.emitJsonLine({ v: 1, lines: [line] });
        else this.log(format(line));
        if (!flags.follow) lines.push(line);
      },
    );
    return { v: 1, lines };
  }
}
