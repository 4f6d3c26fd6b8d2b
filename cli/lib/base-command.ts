// The base of every `viworks` command: `run()` returns the command's documented result object
// (`{v: 1, …}`); with --json exactly that object is printed on stdout as one line and nothing else,
// errors included (`{v: 1, error: {code, message, hint}}`). Without --json results are text on
// stdout, and prompts, progress and errors go to stderr. The exit code comes from the one table in
// exit-codes.ts. A command never throws past this class: `Cmd.run(argv)` resolves (to undefined on
// failure) and leaves the exit code in `process.exitCode`.
import { Command } from '@oclif/core';
import { newPasswordProblems } from '../../core/api/common.js';
import { exitCodeFor } from './exit-codes.js';
import { closeStdin, type InputSpec, obtain } from './input.js';
import { CliError, toErrorInfo, usageError, writeErrorText, writeJson } from './output.js';

/** Every result carries the version of its own shape. */
export interface Versioned {
  readonly v: 1;
}

export abstract class ViworksCommand<T extends Versioned> extends Command {
  static override enableJsonFlag = true;

  /** Set once a streaming command (status --watch, logs --follow) has printed its lines. */
  private streamed = false;

  abstract override run(): Promise<T>;

  /** Progress for long waits: one line on stderr, never with --json. */
  protected progress(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
  }

  /** Streaming commands print one complete result object per line with --json (NDJSON). */
  protected emitJsonLine(value: T): void {
    this.streamed = true;
    writeJson(value);
  }

  /** A value from stdin or a prompt (never with --json or without a terminal: usage error). */
  protected input(spec: Omit<InputSpec, 'json'>): Promise<string> {
    return obtain({ ...spec, json: this.jsonEnabled() });
  }

  /** A new password (typed twice at a terminal), checked against the one shared policy first. */
  protected async newPassword(username: string, current: string, fromStdin: boolean): Promise<string> {
    const spec = { secret: true, fromStdin, how: '--new-password-stdin' } as const;
    const next = await this.input({ ...spec, label: 'new password' });
    if (!fromStdin && (await this.input({ ...spec, label: 'new password again' })) !== next) {
      throw usageError('The two new passwords differ', 'Run it again.');
    }
    const problems = newPasswordProblems(username, next, next === current);
    if (problems.length > 0) {
      throw new CliError('VIW_E_VALIDATION', {
        message: 'The new password is not acceptable',
        details: problems,
      });
    }
    return next;
  }

  protected override logJson(json: unknown): void {
    if (!this.streamed) writeJson(json);
  }

  protected override async catch(err: Error): Promise<void> {
    const generic = toErrorInfo(err);
    // Usage hints name this command: "See `viworks admin login --help`."
    const info = {
      ...generic,
      hint: generic.hint.replace('<command>', (this.id ?? '').replaceAll(':', ' ')),
    };
    process.exitCode = exitCodeFor(info.code);
    if (this.jsonEnabled()) writeJson({ v: 1, error: info });
    else writeErrorText(info);
  }

  protected override async finally(): Promise<void> {
    closeStdin();
  }
}
