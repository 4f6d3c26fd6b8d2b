// The node's data-plane normalizer (docs/detections.md#on-the-node): every poll it reads the daemons'
// logs and the front door's hello log forward (round.ts), appends one audit-schema event line per
// fact to its output file and saves its cursors (observer-state.ts), so the node's SIEM forwarder
// ships normalized events even when the backend is down or the SOC does not ingest the backend.
//
// A first start begins at the current end of each log (nothing older is replayed); a restart goes on
// from the saved cursors, so no line is lost or read twice. The parsers' small state (a TLS handshake
// in progress, an OpenVPN client not yet up) and the hellos no handshake has claimed yet are not
// saved: a step whose lines straddle a restart is not reported, a handshake whose hello was read
// before it goes out without fingerprints — as in the backend's ingest. A round that fails (a full
// disk) is retried from the saved state, as after a restart.
import { statSync } from 'node:fs';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { formatCursor, parseCursor } from '../../core/gateway/dataplane/cursor.js';
import { GatewayHellos } from '../../core/gateway/dataplane/hello-join.js';
import { createParser, DATAPLANE_SOURCES } from '../../core/gateway/dataplane/index.js';
import { RelayJoin } from '../../core/gateway/dataplane/relay-join.js';
import { acquireNodeLock } from '../state/node-lock.js';
import { cursorAtEnd } from '../verbs/log-cursor.js';
import type { ObserverConfig } from './observer-config.js';
import type { ObserverPaths } from './observer-paths.js';
import {
  type Cursors,
  type ObserverState,
  PERSISTED_RELAYS,
  readObserverState,
  relaysFromState,
  relaysToState,
  writeObserverState,
} from './observer-state.js';
import { completeRound, prepareOutput } from './output.js';
import {
  eventsOf,
  logPath,
  type ObservedLog,
  READ_ORDER,
  type RoundMemory,
  readSource,
  type SourceRead,
} from './round.js';

export const DEFAULT_POLL_MS = 1000;
/** How long a read of fwknopd's log waits for the node lock before trying again next poll. */
const LOCK_WAIT_MS = 2000;
/** Rounds per poll before yielding (a backlog is worked off over several polls). */
const ROUNDS_PER_POLL = 20;

export interface ObserverOptions {
  readonly pollMs?: number;
  /** Diagnostics (never log content: counts, sources, error codes). */
  readonly diagnose?: (text: string) => void;
  readonly now?: () => Date;
}

export interface Observer {
  /** Rounds until every log is read to its end, now (what each poll does). */
  catchUp(): Promise<void>;
  /** Finishes the round in progress and stops polling; the state is saved. */
  stop(): Promise<void>;
  /** The last sequence number written. */
  seq(): number;
}

const atEnd = (path: string) => formatCursor(cursorAtEnd(path));

function freshState(config: ObserverConfig): ObserverState {
  const cursors = Object.fromEntries(DATAPLANE_SOURCES.map((s) => [s, atEnd(config.logs[s])])) as Cursors;
  return withHelloCursor(config, { v: 1, seq: 0, cursors, relays: [], pending: null });
}

/**
 * The state with a cursor for the hello log the config names. A state saved before the normalizer
 * read that log has none: it starts at the log's end, as a first start does (or at its first line
 * when the capture has not written one yet).
 */
function withHelloCursor(config: ObserverConfig, state: ObserverState): ObserverState {
  if (!config.hello_log || state.cursors.hello !== undefined) return state;
  return { ...state, cursors: { ...state.cursors, hello: atEnd(config.hello_log) } };
}

/**
 * False when the log is exactly where the cursor left it (nothing to read, no lock to take), or is
 * still absent as it was (the front door's capture not running).
 */
function hasNews(path: string, cursor: string): boolean {
  const c = parseCursor(cursor);
  if (!c) return true;
  try {
    const st = statSync(path, { bigint: true });
    return st.ino.toString() !== c.inode || Number(st.size) !== c.offset;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.inode !== '0';
    throw err;
  }
}

class ObserverLoop implements Observer {
  private state!: ObserverState;
  private memory!: RoundMemory;
  /** The last round left stunnel's log for the next one (stunnelWaits). */
  private stunnelWaited = false;
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last diagnostic, until a round succeeds. */
  private lastSaid = '';
  private readonly pollMs: number;
  private readonly diagnose: (text: string) => void;
  private readonly now: () => Date;

  constructor(
    private readonly config: ObserverConfig,
    private readonly paths: ObserverPaths,
    opts: ObserverOptions,
  ) {
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    const say = opts.diagnose ?? (() => {});
    // A failure that repeats every poll (a full disk) is said once, not once a second.
    this.diagnose = (text) => {
      if (text !== this.lastSaid) say(text);
      this.lastSaid = text;
    };
    this.now = opts.now ?? (() => new Date());
  }

  /** From the saved state (or the logs' ends on a first start), finishing a round a crash cut short. */
  resume(): void {
    let state = readObserverState(this.paths.state);
    if (!state) {
      state = freshState(this.config);
      writeObserverState(this.paths.state, state);
    }
    if (state.pending) {
      const appended = completeRound(this.paths.out, state.pending);
      if (appended > 0) this.diagnose(`completed an interrupted round (${appended} bytes)`);
      state = { ...state, pending: null };
      writeObserverState(this.paths.state, state);
    }
    const withHello = withHelloCursor(this.config, state);
    if (withHello !== state) writeObserverState(this.paths.state, withHello);
    this.state = withHello;
    const join = new RelayJoin();
    join.restore(relaysFromState(withHello.relays));
    this.memory = {
      parsers: {
        fwknopd: createParser('fwknopd'),
        stunnel: createParser('stunnel'),
        openvpn: createParser('openvpn'),
      },
      join,
      hellos: new GatewayHellos(),
    };
  }

  seq(): number {
    return this.state.seq;
  }

  schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.catchUp().then(() => this.schedule(this.pollMs));
    }, delayMs);
  }

  catchUp(): Promise<void> {
    this.running = this.running.then(() => this.poll());
    return this.running;
  }

  private fail(what: string, err: unknown): void {
    const code = isViworksError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'error');
    this.diagnose(`${what} (${code})`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async poll(): Promise<void> {
    for (let i = 0; i < ROUNDS_PER_POLL && !this.stopped; i++) {
      try {
        const more = await this.round();
        this.lastSaid = '';
        if (!more) return;
      } catch (err) {
        this.fail('round failed; starting again from the saved state', err);
        try {
          this.resume();
        } catch (again) {
          this.fail('the saved state cannot be read back; retrying next poll', again);
        }
        return;
      }
    }
  }

  /** fwknopd's log is read under the node lock: access.conf cannot change between read and naming. */
  private async readFwknopd(cursor: string): Promise<SourceRead | null> {
    let lock: Awaited<ReturnType<typeof acquireNodeLock>>;
    try {
      lock = await acquireNodeLock(this.config.state_dir, LOCK_WAIT_MS);
    } catch (err) {
      if (isViworksError(err, 'VIW_E_CONFLICT')) return null; // busy: next poll
      throw err;
    }
    try {
      return readSource(this.config, 'fwknopd', cursor);
    } finally {
      lock.release();
    }
  }

  /**
   * stunnel's log waits one round when this round's hello read stopped before the end of the hello
   * log (a backlog, or the rest of a rotated file read first): the hellos of its handshakes may be in
   * what is left. Never two rounds in a row, so hello lines that come faster than a round reads them
   * (the capture also sees segments the firewall then drops) cannot hold stunnel's events back.
   */
  private stunnelWaits(hello: SourceRead | undefined): boolean {
    const wait = hello !== undefined && !hello.page.eof && !this.stunnelWaited;
    this.stunnelWaited = wait;
    return wait;
  }

  /** One round; true when a log has more lines than one round reads. */
  private async round(): Promise<boolean> {
    const reads: Partial<Record<ObservedLog, SourceRead>> = {};
    let more = false;
    for (const source of READ_ORDER) {
      const cursor = this.state.cursors[source];
      const path = logPath(this.config, source);
      if (cursor === undefined || path === undefined || !hasNews(path, cursor)) continue;
      if (source === 'stunnel' && this.stunnelWaits(reads.hello)) {
        more = true;
        continue;
      }
      const read =
        source === 'fwknopd' ? await this.readFwknopd(cursor) : readSource(this.config, source, cursor);
      if (!read) continue;
      if (read.restarted) this.diagnose(`${source}: the log was replaced; lines in between may be missing`);
      reads[source] = read;
      if (!read.page.eof) more = true;
    }
    this.commit(reads);
    return more;
  }

  private commit(reads: Partial<Record<ObservedLog, SourceRead>>): void {
    const cursors: Cursors = { ...this.state.cursors };
    for (const [source, read] of Object.entries(reads)) cursors[source as ObservedLog] = read.next;
    const events = eventsOf(this.config, reads, this.memory, this.state.seq, this.now());
    if (events.dropped > 0) this.diagnose(`${events.dropped} facts did not form a valid event`);
    const relays = relaysToState(this.memory.join.snapshot(PERSISTED_RELAYS));
    if (events.lines.length === 0) {
      if (READ_ORDER.every((s) => cursors[s] === this.state.cursors[s])) return;
      this.state = { ...this.state, cursors, relays };
      writeObserverState(this.paths.state, this.state);
      return;
    }
    const at = prepareOutput(this.paths.out, this.paths.outRotated);
    const pending = { ...at, text: events.lines.map((l) => `${l}\n`).join('') };
    // The round is decided before it is written: a crash from here on completes it at the next start.
    this.state = { v: 1, seq: events.seq, cursors, relays, pending };
    writeObserverState(this.paths.state, this.state);
    completeRound(this.paths.out, pending);
    this.state = { ...this.state, pending: null };
    writeObserverState(this.paths.state, this.state);
  }
}

/** Resumes from the saved state and polls until stop(). */
export function startObserver(
  config: ObserverConfig,
  paths: ObserverPaths,
  opts: ObserverOptions = {},
): Observer {
  const loop = new ObserverLoop(config, paths, opts);
  loop.resume();
  loop.schedule(0);
  return loop;
}
