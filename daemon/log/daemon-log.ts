// The daemon's own log: a bounded ring buffer (served by GET /v1/logs, followed live with
// ?follow=1) and a sink (stderr → journald). Lines are built by the daemon from safe values only —
// state names, error codes, ids the backend also logs, durations — never a password, OTP, token,
// key or bootstrap content. `event()` is the audit-style line for each step of a flow.
import type { Static } from 'typebox';
import type { ConnectionState, LogLineSchema } from '../../core/api/local.js';

export type LogLine = Static<typeof LogLineSchema>;
export type LogLevel = LogLine['level'];
export type LogFieldValue = string | number | boolean | null;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const MAX_MSG = 1024;

export interface DaemonLogOptions {
  /** Lines kept for GET /v1/logs (default 1000). */
  readonly capacity?: number;
  readonly minLevel?: LogLevel;
  /** Where each line also goes; default: one JSON line on stderr. Tests capture it. */
  readonly sink?: (line: LogLine) => void;
}

export class DaemonLog {
  private readonly ring: LogLine[] = [];
  private readonly capacity: number;
  private readonly minLevel: number;
  private readonly sink: (line: LogLine) => void;
  private readonly listeners = new Set<(line: LogLine) => void>();
  private stateOf: () => ConnectionState | null = () => null;

  constructor(opts: DaemonLogOptions = {}) {
    this.capacity = opts.capacity ?? 1000;
    this.minLevel = LEVELS[opts.minLevel ?? 'info'];
    this.sink = opts.sink ?? ((line) => process.stderr.write(`${JSON.stringify(line)}\n`));
  }

  /** The engine tells the log which state to stamp on each line. */
  setStateSource(fn: () => ConnectionState | null): void {
    this.stateOf = fn;
  }

  debug(msg: string): void {
    this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warn', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }

  /** One audit-worthy step: `name result k=v …`. Only pass values that are safe to show anyone. */
  event(name: string, result: 'ok' | 'failed' | 'start', fields: Record<string, LogFieldValue> = {}): void {
    const parts = Object.entries(fields).map(([k, v]) => `${k}=${v === null ? '-' : String(v)}`);
    this.write(result === 'failed' ? 'warn' : 'info', [name, result, ...parts].join(' '));
  }

  /** The last `n` lines kept (all by default), oldest first. */
  tail(n?: number): LogLine[] {
    return n === undefined ? [...this.ring] : this.ring.slice(Math.max(0, this.ring.length - n));
  }

  subscribe(fn: (line: LogLine) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private write(level: LogLevel, msg: string): void {
    if (LEVELS[level] < this.minLevel) return;
    const line: LogLine = {
      at: new Date().toISOString(),
      level,
      // One line per entry: control characters (log injection) become spaces.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
      msg: msg.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_MSG),
      state: this.stateOf(),
    };
    this.ring.push(line);
    if (this.ring.length > this.capacity) this.ring.shift();
    this.sink(line);
    for (const fn of this.listeners) fn(line);
  }
}
