// One persistent, multiplexed SSH connection per gateway (issue #19): a bootstrap's control commands
// run as exec channels on a connection that is already authenticated, instead of paying TCP + key
// exchange + authentication per command. What does not change: every new connection checks the host
// key against the row's pin (the pin is part of the pool's key, so a changed pin never reuses a
// connection made under the old one), the control key is read only to connect and wiped at once, and
// each command still must be answered `ok` by the node (the runner's fail-closed rules).
// A connection that dies is dropped; commands on it fail as retryable ("closed before the command
// finished": every verb is idempotent), and the runner's next attempt opens a new one with backoff.
// Channels per connection are capped below sshd's MaxSessions (10, gateway/render/sshd-config.ts);
// more wait their turn. An idle connection is closed after IDLE_MS (the poller keeps busy ones warm).
import type { Client } from 'ssh2';
import type { ControlRequest } from './request.js';
import {
  checkRequest,
  connectSsh,
  type ExecOutcome,
  type ExecTimeouts,
  execOn,
  type SshTarget,
} from './ssh-exec.js';

/** Below sshd's MaxSessions 10: room for one more channel than we open. */
export const MAX_CHANNELS = 8;
export const IDLE_MS = 5 * 60_000;
/** ssh2 keepalives: a connection whose peer vanished is found within ~45 s, not at the next command. */
const KEEPALIVE_MS = 15_000;

interface Connection {
  readonly key: string;
  readonly client: Client;
  /** The commands in flight on it, told when it closes. */
  readonly onLost: Set<() => void>;
  dead: boolean;
  active: number;
  readonly waiting: Array<() => void>;
  idle: NodeJS.Timeout | undefined;
}

type Opened = { readonly ok: true; readonly conn: Connection } | Exclude<ExecOutcome, { ok: true }>;

export interface PoolOptions {
  readonly maxChannels?: number;
  readonly idleMs?: number;
}

export class SshConnectionPool {
  private readonly open = new Map<string, Connection>();
  private readonly opening = new Map<string, Promise<Opened>>();
  private closed = false;
  /** Connections made so far (tests and the bench read it). */
  connectionsMade = 0;

  constructor(private readonly opts: PoolOptions = {}) {}

  async exec(
    target: SshTarget,
    readKey: () => Buffer,
    req: ControlRequest,
    timeouts: ExecTimeouts,
  ): Promise<ExecOutcome> {
    checkRequest(req);
    const got = await this.connection(target, readKey, timeouts.connectMs);
    if (!got.ok) return got;
    const conn = got.conn;
    await this.acquire(conn);
    try {
      if (conn.dead) {
        return {
          ok: false,
          code: 'VIW_E_GATEWAY_UNREACHABLE',
          rc: null,
          detail: 'connection closed before the command started',
          retryable: true,
        };
      }
      const watchLoss = (onLost: () => void) => {
        conn.onLost.add(onLost);
        return () => conn.onLost.delete(onLost);
      };
      return await execOn(conn.client, req, timeouts.commandMs, watchLoss, () => this.drop(conn));
    } finally {
      this.release(conn);
    }
  }

  /** Ends every connection; commands after this fail without connecting. */
  close(): void {
    this.closed = true;
    for (const conn of [...this.open.values()]) this.drop(conn);
  }

  /** Open connections (tests). */
  get size(): number {
    return this.open.size;
  }

  private connection(target: SshTarget, readKey: () => Buffer, connectMs: number): Promise<Opened> {
    if (this.closed) {
      return Promise.resolve({
        ok: false,
        code: 'VIW_E_GATEWAY_UNREACHABLE',
        rc: null,
        detail: 'the backend is shutting down',
        retryable: false,
      });
    }
    const key = `${target.username}@${target.host}:${target.port}#${target.hostKeyFingerprint}`;
    const existing = this.open.get(key);
    if (existing && !existing.dead) return Promise.resolve({ ok: true, conn: existing });
    // Commands arriving together share one handshake.
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.connect(key, target, readKey, connectMs).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  private async connect(
    key: string,
    target: SshTarget,
    readKey: () => Buffer,
    connectMs: number,
  ): Promise<Opened> {
    const out = await connectSsh(target, readKey(), connectMs, KEEPALIVE_MS);
    if (!out.ok) return out;
    this.connectionsMade++;
    const conn: Connection = {
      key,
      client: out.client,
      onLost: new Set(),
      dead: false,
      active: 0,
      waiting: [],
      idle: undefined,
    };
    const gone = () => this.lose(conn);
    out.client.on('close', gone);
    out.client.on('end', gone);
    out.client.on('error', gone);
    if (this.closed) {
      this.drop(conn);
      return { ok: true, conn };
    }
    this.open.set(key, conn);
    this.armIdle(conn);
    return { ok: true, conn };
  }

  private acquire(conn: Connection): Promise<void> {
    clearTimeout(conn.idle);
    if (conn.dead || conn.active < (this.opts.maxChannels ?? MAX_CHANNELS)) {
      conn.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      conn.waiting.push(() => {
        conn.active++;
        resolve();
      });
    });
  }

  private release(conn: Connection): void {
    conn.active--;
    const next = conn.waiting.shift();
    if (next) next();
    else if (conn.active === 0) this.armIdle(conn);
  }

  private armIdle(conn: Connection): void {
    clearTimeout(conn.idle);
    if (conn.dead) return;
    conn.idle = setTimeout(() => {
      if (conn.active === 0) this.drop(conn);
    }, this.opts.idleMs ?? IDLE_MS);
    conn.idle.unref();
  }

  /** The connection is gone: out of the pool; commands on it and waiting for it are told. */
  private lose(conn: Connection): void {
    conn.dead = true;
    clearTimeout(conn.idle);
    if (this.open.get(conn.key) === conn) this.open.delete(conn.key);
    for (const told of [...conn.onLost]) told();
    conn.onLost.clear();
    for (const wake of conn.waiting.splice(0)) wake();
  }

  private drop(conn: Connection): void {
    this.lose(conn);
    conn.client.destroy();
  }
}
