// Pushes session events (today: `revoked`) to the client connections that listen for them
// (GET /client/events). In-process fan-out; with several instances a Redis channel carries the
// same messages between them (backend issue, scale-out path).
import { EventEmitter } from 'node:events';

export interface SessionEvent {
  readonly type: 'revoked';
  readonly sessionId: string;
  readonly reason: string;
  readonly at: string;
}

export class SessionEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per connected client; the default cap of 10 would warn under normal load.
    this.emitter.setMaxListeners(0);
  }

  private relay: ((event: SessionEvent) => void) | null = null;

  /** Sends every locally published event to the other instances too (Redis relay). */
  setRelay(relay: ((event: SessionEvent) => void) | null): void {
    this.relay = relay;
  }

  publish(event: SessionEvent): void {
    this.deliver(event);
    this.relay?.(event);
  }

  /** Hands an event to this instance's listeners only (events arriving from other instances). */
  deliver(event: SessionEvent): void {
    this.emitter.emit(`session:${event.sessionId}`, event);
  }

  /** Returns the unsubscribe function; callers must call it when the connection closes. */
  subscribe(sessionId: string, listener: (event: SessionEvent) => void): () => void {
    const name = `session:${sessionId}`;
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
