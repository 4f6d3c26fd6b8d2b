// A DnsCommandRunner for tests: records every call (program, argv, stdin) and answers from a
// script, so resolvectl's and resolvconf's documented protocol can be checked where neither can
// run for real. `answer` sees the call and returns its outcome (default: exit 0, no output).
import type { CommandOutcome, DnsCommandRunner } from '../dns-backend.js';

export interface RecordedCall {
  readonly program: string;
  readonly args: readonly string[];
  readonly stdin: string | undefined;
}

export interface RecordingRunner {
  readonly run: DnsCommandRunner;
  readonly calls: RecordedCall[];
  /** Each call as one line, `program arg…` (an empty argument shown as ''). */
  lines(): string[];
}

export function recordingRunner(
  answer: (call: RecordedCall) => Partial<CommandOutcome> | undefined = () => undefined,
): RecordingRunner {
  const calls: RecordedCall[] = [];
  return {
    calls,
    run: async (program, args, stdin) => {
      const call = { program, args: [...args], stdin };
      calls.push(call);
      return { code: 0, stdout: '', stderr: '', ...answer(call) };
    },
    lines: () => calls.map((c) => [c.program, ...c.args.map((a) => (a === '' ? "''" : a))].join(' ')),
  };
}
