// Ending a session, whoever ends it — the user (POST /v1/disconnect), a revocation, the idle
// auto-logout or a lost backend (session-monitor.ts), a failed connect (connect.ts), a tunnel that
// cannot come back (restart.ts), the daemon's shutdown — and POST /v1/disconnect without a
// session, which abandons a pending login or enrollment. Either way every secret is wiped.
//   any connect state ──▶ disconnecting ──▶ enrolled | idle (resting) | error (with the code)
import { type ConnectionState, LOCAL_API_VERSION } from '../../core/api/local.js';
import type { ViworksError } from '../../core/errors/viworks-error.js';
import type { EngineContext, StatusFields, TeardownReason } from './engine-context.js';
import { asViworksError } from './errors.js';
import { releaseNativeCopiesSoon } from './native-copies.js';
import type { ActiveSession } from './session.js';
import { errorInfo } from './status.js';

/** POST /v1/disconnect: ends the session or abandons a pending login; always wipes secrets. */
export async function disconnect(
  e: EngineContext,
): Promise<{ v: typeof LOCAL_API_VERSION; state: ConnectionState }> {
  const s = e.activeSession();
  if (s) {
    await teardown(e, s, 'user', null);
  } else {
    e.wipeSecrets();
    // An explicit disconnect also releases a kill switch held after a lost session.
    await e.network().release();
    e.setState(e.restingState(), { otp_expires_at: null, last_error: null });
    e.log.event('auth.logout', 'ok');
  }
  return { v: LOCAL_API_VERSION, state: e.getStatus().state };
}

const HOLDING_REASONS: ReadonlySet<TeardownReason> = new Set(['leak', 'component', 'lost']);

/** Ends a session once: stop components, tell the backend, wipe every secret, settle the state. */
export function teardown(
  e: EngineContext,
  s: ActiveSession,
  reason: TeardownReason,
  err: ViworksError | null,
): Promise<void> {
  if (s.teardown) return s.teardown;
  s.closed = true;
  s.abort.abort();
  s.teardown = (async () => {
    settle(e, 'disconnecting');
    await s.stopComponents();
    // Lost without the user (a leak, a dead tunnel, an unreachable backend): fail closed, the kill
    // switch stays until an explicit disconnect. Otherwise it goes (or back to standby: always).
    const hold = s.everConnected && HOLDING_REASONS.has(reason);
    await e
      .network()
      .endSession(hold)
      .catch((x: unknown) => {
        e.log.error(`network protection: session end failed (${asViworksError(x, e.log).code})`);
      });
    if (s.sessionId && reason !== 'revoked') {
      try {
        await e.backend().disconnect(s.accessToken, s.sessionId);
      } catch (x) {
        e.log.warn(`session.disconnect not confirmed by the backend (${asViworksError(x, e.log).code})`);
      }
    }
    e.endSession(s);
    s.forgetSecrets();
    e.wipeSecrets();
    e.log.event('session.end', 'ok', { reason, code: err?.code ?? null });
    e.watchTraffic(null);
    settle(e, err ? 'error' : e.restingState(), {
      session: null,
      otp_expires_at: null,
      last_error: err ? errorInfo(err) : null,
    });
    releaseNativeCopiesSoon(() => e.log.warn('memory: could not force a collection after the session'));
  })();
  return s.teardown;
}

/**
 * A teardown must run to its end (components stopped, secrets wiped, session forgotten) even if a
 * bug made its state change illegal: setState has logged and refused it, and nothing here throws.
 */
function settle(e: EngineContext, state: ConnectionState, fields?: StatusFields): void {
  try {
    e.setState(state, fields);
  } catch {
    // Refused and logged by setState.
  }
}
