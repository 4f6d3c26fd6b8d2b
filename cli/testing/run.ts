// Test helper: runs one command class in-process as `Cmd.run(argv)` does, with stdout and stderr
// captured, stdin and the terminal simulated, and the exit code read back (and reset, so a test's
// expected failure does not fail the test file).
import { Readable } from 'node:stream';
import { type Prompter, setPrompterForTests, setStdinForTests } from '../lib/input.js';

export interface RunOutcome<T> {
  readonly result: T | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** Lines a script pipes into stdin (a stream lets a test answer later). */
  readonly stdin?: string | Readable;
  /** Stands in for a person at a terminal; without it there is no TTY. */
  readonly prompter?: Prompter;
  /** Called with everything written to stderr so far, e.g. to read a key URI shown once. */
  readonly onStderr?: (all: string) => void;
}

interface Runnable<T> {
  run(argv?: string[]): Promise<T>;
}

let running = false;

export async function runCommand<T>(
  Cmd: Runnable<T>,
  argv: string[],
  opts: RunOptions = {},
): Promise<RunOutcome<T>> {
  if (running) throw new Error('runCommand is not reentrant');
  running = true;
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  // The CLI writes strings; the test runner's own protocol (binary, on stdout) passes through.
  const capture = (original: typeof process.stdout.write, append: (s: string) => void) =>
    function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]) {
      if (typeof chunk !== 'string')
        return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      append(chunk);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    } as typeof process.stdout.write;
  process.stdout.write = capture(out, (s) => {
    stdout += s;
  });
  process.stderr.write = capture(err, (s) => {
    stderr += s;
    opts.onStderr?.(stderr);
  });
  setStdinForTests(
    typeof opts.stdin === 'string' ? Readable.from([opts.stdin]) : (opts.stdin ?? Readable.from([])),
  );
  setPrompterForTests(opts.prompter ?? { interactive: false, ask: noTty, askSecret: noTty });
  process.exitCode = 0;
  try {
    const result = await Cmd.run(argv);
    return { result, stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = 0;
    process.stdout.write = out;
    process.stderr.write = err;
    setStdinForTests(null);
    setPrompterForTests(null);
    running = false;
  }
}

async function noTty(): Promise<string> {
  throw new Error('prompted without a terminal');
}

/** A prompter that answers by matching the question; records every question asked. */
export function scriptedPrompter(answer: (question: string, secret: boolean) => string): Prompter & {
  questions: string[];
} {
  const questions: string[] = [];
  return {
    interactive: true,
    questions,
    ask: async (q) => {
      questions.push(q);
      return answer(q, false);
    },
    askSecret: async (q) => {
      questions.push(q);
      return answer(q, true);
    },
  };
}

/** The single JSON object on stdout; throws unless stdout is exactly one JSON line. */
export function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== 1)
    throw new Error(`expected exactly one line on stdout, got ${lines.length}: ${stdout}`);
  const value = JSON.parse(lines[0] ?? '') as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}
