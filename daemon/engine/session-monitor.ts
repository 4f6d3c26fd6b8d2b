// Watches a live session from the moment the bootstrap arrives until teardown:
//   - the backend's event stream (GET /client/events): `revoked` ends the session at once (the
//     push path; the admin's terminate reaches the tunnel in well under a second), a dropped
//     stream is reopened with backoff;
//   - heartbeats (POST /client/heartbeat) every heartbeat_s: they keep the access token alive, and
//     VIW_E_SESSION_REVOKED there is the pull path of the same revocation; no successful
//     heartbeat for idle_timeout_s means the backend has ended the session too;
//   - idle auto-logout: no tunnel traffic for idle_timeout_s, checked before each heartbeat. The
//     signal is the TLS proxy's last-activity time (keepalive pings excluded, tls-proxy-pump.ts), on
//     the monotonic clock so a wall-clock jump neither logs out nor keeps alive.
// `onEnd` is called at most once; the engine tears down.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendClient } from '../../core/backendclient/backend-client.js';
import { readSessionEvents } from '../../core/backendclient/session-events.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { DaemonLog } from '../log/daemon-log.js';

export type EndReason = 'revoked' | 'idle' | 'lost';

export interface SessionMonitorOptions {
  readonly backend: BackendClient;
  readonly accessToken: string;
  readonly sessionId: string;
  readonly heartbeatS: number;
  readonly idleTimeoutS: number;
  readonly log: DaemonLog;
  readonly onEnd: (reason: EndReason, err: ViworksError | null) => void;
  /** Monotonic ms; default performance.now (tests pass a fake clock). */
  readonly now?: () => number;
}

const ENDED_CODES = new Set(['VIW_E_SESSION_REVOKED', 'VIW_E_NOT_FOUND', 'VIW_E_TOKEN_INVALID']);

export class SessionMonitor {
  private readonly abort = new AbortController();
  private ended = false;
  private heartbeatS: number;
  private readonly now: () => number;
  private lastBeatOk: number;
  private activity: (() => number) | null = null;

  constructor(private readonly o: SessionMonitorOptions) {
    this.heartbeatS = o.heartbeatS;
    this.now = o.now ?? (() => performance.now());
    this.lastBeatOk = this.now();
  }

  start(): void {
    void this.eventLoop();
    void this.heartbeatLoop();
  }

  /**
   * Called each time a tunnel is up: the source of "last traffic" for idle auto-logout, in the
   * same monotonic ms as `now`. Until then (connecting, restarting) nothing counts as idle.
   */
  watchActivity(lastActivityMs: (() => number) | null): void {
    this.activity = lastActivityMs;
  }

  stop(): void {
    this.ended = true;
    this.abort.abort();
  }

  private end(reason: EndReason, err: ViworksError | null): void {
    if (this.ended) return;
    this.stop();
    this.o.onEnd(reason, err);
  }

  private async eventLoop(): Promise<void> {
    let backoffMs = 500;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const res = await this.o.backend.events(this.o.accessToken, this.o.sessionId, signal);
        backoffMs = 500;
        for await (const m of readSessionEvents(res)) {
          if (m.type === 'revoked' || m.state.status === 'ended') {
            const reason = m.type === 'revoked' ? m.revoked.reason : m.state.end_reason;
            this.o.log.event('session.revoked', 'ok', { via: 'events', reason: reason ?? 'unknown' });
            return this.end('revoked', revokedError(reason));
          }
          this.heartbeatS = m.state.heartbeat_s;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ViworksError && ENDED_CODES.has(err.code)) {
          return this.end('revoked', revokedError(err.details[0] ?? null));
        }
        this.o.log.debug(`events: stream dropped (${err instanceof ViworksError ? err.code : 'error'})`);
      }
      await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, 15_000);
    }
  }

  /**
   * One heartbeat now, for a tunnel that just died (restart.ts): an admin's lock, unbind or
   * terminate also kicks the client at the gateway, and that kick may arrive before the revocation
   * does. False when the backend says the session has ended (the monitor then ends it); true
   * otherwise, an unreachable backend included (the restart's own budget decides then).
   */
  async confirmLive(): Promise<boolean> {
    if (this.ended) return false;
    try {
      await this.o.backend.heartbeat(this.o.accessToken, this.o.sessionId);
      this.lastBeatOk = this.now();
      return true;
    } catch (err) {
      if (err instanceof ViworksError && ENDED_CODES.has(err.code)) {
        this.o.log.event('session.revoked', 'ok', { via: 'tunnel_drop' });
        this.end('revoked', revokedError(err.details[0] ?? null));
        return false;
      }
      return !this.ended;
    }
  }

  private async heartbeatLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await sleep(this.heartbeatS * 1000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted || this.checkIdle()) return;
      try {
        const beat = await this.o.backend.heartbeat(this.o.accessToken, this.o.sessionId);
        this.heartbeatS = beat.heartbeat_s;
        this.lastBeatOk = this.now();
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ViworksError && ENDED_CODES.has(err.code)) {
          this.o.log.event('session.revoked', 'ok', { via: 'heartbeat' });
          return this.end('revoked', revokedError(err.details[0] ?? null));
        }
        this.o.log.warn(`heartbeat failed (${err instanceof ViworksError ? err.code : 'error'})`);
        if (this.now() - this.lastBeatOk > this.o.idleTimeoutS * 1000) {
          return this.end('lost', new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['heartbeats'] }));
        }
      }
    }
  }

  /**
   * Idle auto-logout, run before each heartbeat: no traffic for longer than idle_timeout_s ends the
   * session (reason `idle`). True when it did (or the monitor had already ended).
   */
  checkIdle(): boolean {
    if (this.ended) return true;
    if (!this.activity || this.now() - this.activity() <= this.o.idleTimeoutS * 1000) return false;
    this.o.log.event('session.idle_logout', 'ok', { idle_timeout_s: this.o.idleTimeoutS });
    this.end('idle', null);
    return true;
  }
}

/** The backend's end reasons a user should read as a sentence (the reason itself stays first). */
const REASON_TEXT: Readonly<Record<string, string>> = {
  policy: 'policy: your access policy no longer allows this session (viworks admin policies explain)',
};

export function revokedError(reason: string | null): ViworksError {
  if (!reason) return new ViworksError('VIW_E_SESSION_REVOKED');
  return new ViworksError('VIW_E_SESSION_REVOKED', { details: [REASON_TEXT[reason] ?? reason.slice(0, 40)] });
}
