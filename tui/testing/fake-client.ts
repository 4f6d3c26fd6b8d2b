// A stand-in for LocalClient in the TUI's component tests: the test pushes Status values into the
// watch stream and lines into the log stream, scripts each action's answer, and reads the calls
// back (with the secrets they carried, to check they went to the daemon and nowhere else).
import { type ConnectionState, NETWORK_UNMANAGED, type Status } from '../../core/api/local.js';
import { POSTURE_UNHARDENED } from '../../core/api/posture.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { LogLine } from '../../core/localclient/index.js';
import type { TuiClient } from '../client.js';

/** A Status with every field at rest; `over` sets what the test cares about. */
export function statusOf(state: ConnectionState, over: Partial<Status> = {}): Status {
  return {
    v: 1,
    state,
    daemon_version: '0.1.0',
    device:
      state === 'idle'
        ? null
        : {
            device_id: 'd-1',
            fingerprint: 'ab'.repeat(32),
            status: 'active',
            key_protection: 'software',
            key_store: 'file',
            backend_url: 'https://backend.example',
            username: 'frank',
          },
    session: null,
    otp_expires_at: null,
    timings: {
      login_ms: null,
      bootstrap_ms: null,
      spa_ms: null,
      tls_handshake_ms: null,
      openvpn_ms: null,
      total_connect_ms: null,
    },
    traffic: null,
    last_error: null,
    network: NETWORK_UNMANAGED,
    posture: POSTURE_UNHARDENED,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** An async queue: push() values, end() or fail() it; iterate it once. */
class Feed<T> {
  private readonly values: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private ended = false;
  push(v: T): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: v, done: false });
    } else this.values.push(v);
  }
  end(): void {
    this.ended = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    const aborted = new Promise<IteratorResult<T>>((resolve) =>
      signal?.addEventListener('abort', () => resolve({ value: undefined, done: true }), { once: true }),
    );
    for (;;) {
      const next =
        this.values.length > 0
          ? ({ value: this.values.shift() as T, done: false } as IteratorResult<T>)
          : this.ended
            ? ({ value: undefined, done: true } as IteratorResult<T>)
            : await Promise.race([new Promise<IteratorResult<T>>((r) => (this.waiting = r)), aborted]);
      if (next.done || signal?.aborted) return;
      yield next.value;
    }
  }
}

export interface Call {
  readonly method: string;
  readonly body?: unknown;
}

type Answer = () => Promise<unknown>;

export class FakeClient implements TuiClient {
  readonly socketPath = '/tmp/test/viworksd.sock';
  readonly calls: Call[] = [];
  private statusFeed = new Feed<Status>();
  private readonly logFeed = new Feed<LogLine>();
  /** When set, the next watch() throws this (the daemon is not reachable). */
  watchError: unknown = null;
  watchOpened = 0;
  private readonly answers = new Map<string, Answer[]>();

  /** The daemon's next Status on the watch stream. */
  emit(s: Status): void {
    this.statusFeed.push(s);
  }
  /** The daemon stops: the current watch stream ends. */
  stopDaemon(error: unknown): void {
    this.watchError = error;
    this.statusFeed.end();
    this.statusFeed = new Feed<Status>();
  }
  log(line: LogLine): void {
    this.logFeed.push(line);
  }
  /** The answer to the next call of `method` (default: a plain success). */
  answer(method: string, fn: Answer): void {
    this.answers.set(method, [...(this.answers.get(method) ?? []), fn]);
  }
  private async reply<T>(method: string, body: unknown, fallback: T): Promise<T> {
    this.calls.push(body === undefined ? { method } : { method, body });
    const fn = this.answers.get(method)?.shift();
    return fn ? ((await fn()) as T) : fallback;
  }

  async *watch(opts: { signal?: AbortSignal } = {}): AsyncGenerator<Status> {
    this.watchOpened++;
    if (this.watchError) throw this.watchError;
    yield* this.statusFeed.iterate(opts.signal);
  }
  async *logs(opts: { signal?: AbortSignal } = {}): AsyncGenerator<LogLine> {
    yield* this.logFeed.iterate(opts.signal);
  }
  login(req: { password: string }) {
    return this.reply('login', req, { v: 1 as const, state: 'otp_pending' as const, otp_expires_at: '' });
  }
  otp(req: { otp_code: string }) {
    return this.reply('otp', req, {
      v: 1 as const,
      state: 'enrolled' as const,
      password_change_required: false,
    });
  }
  password(req: { new_password: string }) {
    return this.reply('password', req, { v: 1 as const, state: 'enrolled' as const });
  }
  connect() {
    return this.reply('connect', undefined, { v: 1 as const, state: 'connected' as const });
  }
  disconnect() {
    return this.reply('disconnect', undefined, { v: 1 as const, state: 'enrolled' as const });
  }
  preflight() {
    return this.reply('preflight', undefined, { v: 1 as const, ok: true, checks: [] });
  }
}

export const authRequired = () => Promise.reject(new ViworksError('VIW_E_AUTH_REQUIRED'));

/**
 * Waits until the last frame satisfies `test` (Ink renders asynchronously). The limit only bounds a
 * failing test: a frame that comes is taken at once, and a CI machine running many test files at a
 * time has been seen to need more than 2 s for one render.
 */
export async function frameWhere(
  lastFrame: () => string | undefined,
  test: (frame: string) => boolean,
  timeoutMs = 8000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const f = lastFrame() ?? '';
    if (test(f)) return f;
    if (Date.now() > until) throw new Error(`no frame matched within ${timeoutMs} ms; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const frameWith = (lastFrame: () => string | undefined, text: string, timeoutMs?: number) =>
  frameWhere(lastFrame, (f) => f.includes(text), timeoutMs);

/** Lets Ink process input and re-render. */
export const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
