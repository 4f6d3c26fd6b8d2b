// Where input comes from: a flag, one line of stdin (`--password-stdin` and friends, read lazily so a
// script can answer after it saw the previous step), or a prompt on the terminal. Prompts happen
// only when a person is there: never with --json, never when stdin or stderr is not a TTY — then a
// missing input is a usage error (exit 2) that names the flag to use. Secrets are never echoed and
// never accepted from argv or the environment: no flag takes a secret's value.
import { createInterface, type Interface } from 'node:readline';
import { createInterface as createPromptInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { CliError, usageError } from './output.js';

export interface Prompter {
  /** True when a person can answer: stdin and stderr are terminals. */
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
  askSecret(question: string): Promise<string>;
}

const cancelled = () => new CliError('VIW_E_VALIDATION', { message: 'Cancelled', hint: 'Run it again.' });

/** Reads a line from the terminal with echo off (raw mode), handling backspace, ^U, ^C and ^D. */
function askSecretOnTty(question: string): Promise<string> {
  const input = process.stdin;
  const out = process.stderr;
  out.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    const finish = (err?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(cancelled());
        if (ch === '\u0004') return finish();
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

const ttyPrompter: Prompter = {
  get interactive() {
    return Boolean(process.stdin.isTTY && process.stderr.isTTY);
  },
  async ask(question) {
    const rl = createPromptInterface({ input: process.stdin, output: process.stderr, terminal: true });
    try {
      return (await rl.question(question)).trim();
    } finally {
      rl.close();
    }
  },
  askSecret: askSecretOnTty,
};

let prompterOverride: Prompter | null = null;
let stdinOverride: Readable | null = null;

/** Tests stand in for the person at the terminal (null restores the real TTY prompter). */
export function setPrompterForTests(p: Prompter | null): void {
  prompterOverride = p;
}
/** Tests feed the lines a script would pipe into stdin (null restores process.stdin). */
export function setStdinForTests(r: Readable | null): void {
  closeStdin();
  stdinOverride = r;
}

export function prompter(): Prompter {
  return prompterOverride ?? ttyPrompter;
}

let reader: { rl: Interface; lines: AsyncIterator<string> } | null = null;

/** The next line of stdin, read only when needed (a script may write it after seeing progress). */
export async function readStdinLine(what: string): Promise<string> {
  if (!reader) {
    const rl = createInterface({
      input: stdinOverride ?? process.stdin,
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    reader = { rl, lines: rl[Symbol.asyncIterator]() };
  }
  const next = await reader.lines.next();
  const line = next.done ? '' : next.value;
  if (line === '') throw usageError(`Expected ${what} on stdin, got end of input or an empty line`);
  return line;
}

/**
 * All of stdin as text (a document piped in: `--file -`), at most `maxBytes`; a usage error when it
 * is empty or larger. Not for secrets (they are read a line at a time, never kept as a whole).
 */
export async function readStdinText(what: string, maxBytes: number): Promise<string> {
  if (reader) throw usageError(`Cannot read ${what} from stdin: stdin is already in use`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdinOverride ?? process.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > maxBytes) throw usageError(`${what} on stdin is larger than ${maxBytes} bytes`);
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw usageError(`Expected ${what} on stdin, got end of input`);
  return text;
}

/** Stops reading stdin so the process can exit (called once the command is done). */
export function closeStdin(): void {
  reader?.rl.close();
  reader = null;
}

export interface InputSpec {
  /** What is asked for, for prompts and errors ("password", "6-digit code from your phone"). */
  readonly label: string;
  readonly secret?: boolean;
  /** The value was requested on stdin (`--password-stdin`). */
  readonly fromStdin?: boolean;
  /** How to give it without a terminal, for the usage error ("--password-stdin"). */
  readonly how: string;
  /** --json disables prompts. */
  readonly json: boolean;
  /** At a prompt an empty answer is allowed (returned as ''). */
  readonly optional?: boolean;
}

/** One input value from stdin or a prompt; a usage error when neither is possible. */
export async function obtain(spec: InputSpec): Promise<string> {
  if (spec.fromStdin) return readStdinLine(spec.label);
  const p = prompter();
  if (spec.json || !p.interactive) {
    const why = spec.json ? '--json never prompts' : 'stdin is not a terminal, so there is no prompt';
    throw usageError(`Missing ${spec.label}: ${why}`, `Pass ${spec.how}.`);
  }
  const question = `${spec.label[0]?.toUpperCase() ?? ''}${spec.label.slice(1)}: `;
  const value = spec.secret ? await p.askSecret(question) : await p.ask(question);
  if (value === '' && !spec.optional) throw usageError(`Missing ${spec.label}`, `Enter ${spec.label}.`);
  return value;
}
