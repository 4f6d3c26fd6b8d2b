// The admin feed of VPN session rows behind GET /admin/sessions/events: one per backend instance,
// subscribed to the session bus only while somebody watches. Every bus event — started, first
// heard from, ended — whether published here or relayed from another instance (Redis), becomes the
// session's current list row, read once for all watchers of this instance.
// Reads of one session never overlap: a row reaches the watchers only after the rows read before
// it, so a session that starts and ends at once never shows live after it showed ended, and a burst
// of events for one session costs at most two reads.
import type { SessionViewT } from '../../../core/api/admin.js';
import type { SessionEventBus } from '../client/events.js';
import type { AdminDeps } from './credentials.js';
import { sessionRowView } from './sessions.js';

export type SessionRowListener = (row: SessionViewT) => void;

export interface SessionFeedDeps extends Pick<AdminDeps, 'db'> {
  readonly events: SessionEventBus;
  /** A read that failed (the database is down): logged, the watchers are not told. */
  readonly onError: (err: unknown) => void;
}

export class AdminSessionFeed {
  private readonly listeners = new Set<SessionRowListener>();
  private unsubscribe: (() => void) | null = null;
  /** Sessions being read; true when another event for it came meanwhile (read it again after). */
  private readonly reading = new Map<string, boolean>();

  constructor(private readonly deps: SessionFeedDeps) {}

  /** Calls `listener` with every changed session row until the returned function is called. */
  watch(listener: SessionRowListener): () => void {
    this.listeners.add(listener);
    this.unsubscribe ??= this.deps.events.subscribeAll((e) => this.changed(e.sessionId));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
      }
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  /** Never throws: it runs inside the bus's publish (e.g. within endSessions). */
  private changed(sessionId: string): void {
    if (this.reading.has(sessionId)) {
      this.reading.set(sessionId, true);
      return;
    }
    this.reading.set(sessionId, false);
    void this.read(sessionId);
  }

  private tell(listener: SessionRowListener, row: SessionViewT): void {
    try {
      listener(row);
    } catch (err) {
      this.deps.onError(err); // one broken stream must not starve the others
    }
  }

  private async read(sessionId: string): Promise<void> {
    try {
      for (;;) {
        const row = await sessionRowView(this.deps, sessionId);
        if (row) for (const listener of [...this.listeners]) this.tell(listener, row);
        if (!this.reading.get(sessionId)) return;
        this.reading.set(sessionId, false);
      }
    } catch (err) {
      this.deps.onError(err);
    } finally {
      this.reading.delete(sessionId);
    }
  }
}
