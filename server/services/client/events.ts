// Pushes session events to whoever listens on this instance: `revoked` to the client connections of
// that session (GET /client/events), and every event — `revoked` and the changes `started` (the
// bootstrap created it) and `heard` (its client's first heartbeat) — to the admin feed behind GET
// /admin/sessions/events. In-process fan-out; with several instances a Redis channel carries the
// same messages between them (events-redis.ts).
import { EventEmitter } from 'node:events';

export interface SessionEvent {
  readonly type: 'revoked';
  readonly sessionId: string;
  readonly reason: string;
  readonly at: string;
}

/** A change an administrator watching sessions sees; the session's clients are not told. */
export interface SessionChange {
  readonly type: 'started' | 'heard';
  readonly sessionId: string;
  readonly at: string;
}

export type SessionBusEvent = SessionEvent | SessionChange;

const ANY = 'any';

export class SessionEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per connected client; the default cap of 10 would warn under normal load.
    this.emitter.setMaxListeners(0);
  }

  private relay: ((event: SessionBusEvent) => void) | null = null;

  /** Sends every locally published event to the other instances too (Redis relay). */
  setRelay(relay: ((event: SessionBusEvent) => void) | null): void {
    this.relay = relay;
  }

  publish(event: SessionBusEvent): void {
    this.deliver(event);
    this.relay?.(event);
  }

  /** Hands an event to this instance's listeners only (events arriving from other instances). */
  deliver(event: SessionBusEvent): void {
    if (event.type === 'revoked') this.emitter.emit(`session:${event.sessionId}`, event);
    this.emitter.emit(ANY, event);
  }

  /** A session's end, for its clients. Returns the unsubscribe function; callers must call it. */
  subscribe(sessionId: string, listener: (event: SessionEvent) => void): () => void {
    const name = `session:${sessionId}`;
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Every event of every session (the admin feed). Returns the unsubscribe function. */
  subscribeAll(listener: (event: SessionBusEvent) => void): () => void {
    this.emitter.on(ANY, listener);
    return () => this.emitter.off(ANY, listener);
  }
}
