// Restarting a session's tunnel (docs/architecture.md#tunnel-restarts: after an OpenVPN crash or exit,
// retry up to N times with backoff, then give up). OpenVPN never reconnects by itself (config.ts:
// remap-usr1 SIGTERM), so the engine decides: when the tunnel dies while connected, or fails to
// come up for a transient reason, a fresh attempt (new knock, new one-connection proxy, new
// OpenVPN: tunnel.ts) follows after ~1 s, 2 s, 4 s (exponential, plus jitter so a fleet does not
// knock in step), at most `retries` times, and only while the session is still valid (not ended,
// not revoked, not past expires_at). What cannot heal fails at once: auth/config/certificate
// failures, a pin mismatch, a refused client certificate, a leak. The budget refills once a tunnel
// stayed up `stableMs`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BootstrapSecrets, PublicBootstrap } from '../../core/bootstrap/opened.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { teardown } from './disconnect.js';
import type { EngineContext } from './engine-context.js';
import { asViworksError } from './errors.js';
import { isRetryable, type RestartPolicy, restartDelayMs } from './restart-policy.js';
import type { ActiveSession } from './session.js';
import { startTunnel, type Tunnel, type TunnelRoute, tunnelEnded } from './tunnel.js';
import type { StopInfo } from './types.js';

export interface SessionContext {
  readonly payload: PublicBootstrap;
  /** The session's key material (the ActiveSession's; wiped at its teardown). */
  readonly secrets: BootstrapSecrets;
  readonly route: TunnelRoute;
  /** The session's end (the bootstrap response's expires_at), epoch ms. */
  readonly expiresAt: number;
  readonly policy: RestartPolicy;
}

/** Still worth a new tunnel: not ended (disconnect, revocation, teardown) and not expired. */
function sessionValid(s: ActiveSession, ctx: SessionContext): boolean {
  return !s.closed && Date.now() < ctx.expiresAt;
}

function gaveUp(retries: number, last: string): ViworksError {
  return new ViworksError('VIW_E_OPENVPN_FAILED', {
    details: [`the tunnel failed again after ${retries} restart(s); last: ${last}`.slice(0, 120)],
  });
}

/**
 * Brings a tunnel up, retrying transient failures after `failures` earlier ones (the first connect
 * starts at 0; a restart after a drop continues the count). Rejects with the final error.
 */
export async function startWithRetries(
  e: EngineContext,
  s: ActiveSession,
  ctx: SessionContext,
  failures: number,
  restarting: boolean,
): Promise<{ tunnel: Tunnel; failures: number }> {
  for (;;) {
    try {
      return { tunnel: await startTunnel(e, s, ctx.payload, ctx.secrets, ctx.route), failures };
    } catch (err) {
      const v = asViworksError(err, e.log);
      const retryable = (err as { retryable?: unknown }).retryable;
      // A first connect that finds no open door fails as before (VIW_E_SPA_FAILED): only an
      // OpenVPN failure, or any transient failure while restarting, is worth another attempt.
      const transient =
        typeof retryable === 'boolean' ? retryable : restarting && isRetryable({ code: v.code });
      if (s.closed || !transient) throw v;
      failures++;
      e.log.event('openvpn.attempt', 'failed', { code: v.code, failures });
      if (failures > ctx.policy.retries) throw gaveUp(ctx.policy.retries, v.details[0] ?? v.code);
      await backoff(e, s, ctx, failures);
    }
  }
}

async function backoff(e: EngineContext, s: ActiveSession, ctx: SessionContext, n: number): Promise<void> {
  if (!sessionValid(s, ctx)) throw new ViworksError('VIW_E_STATE', { details: ['session no longer valid'] });
  const delayMs = restartDelayMs(ctx.policy, n);
  e.log.event('openvpn.restart', 'ok', { attempt: n, of: ctx.policy.retries, delay_ms: delayMs });
  await sleep(delayMs, undefined, { signal: s.signal });
  if (!sessionValid(s, ctx)) throw new ViworksError('VIW_E_STATE', { details: ['session no longer valid'] });
}

/** The end that decides: a final one if any, else the first one with a code, else the first. */
function worse(first: StopInfo, ...others: StopInfo[]): StopInfo {
  const all = [first, ...others];
  return all.find((i) => i.code !== null && !isRetryable(i)) ?? all.find((i) => i.code !== null) ?? first;
}

/**
 * Watches a connected tunnel and restarts it when it ends on its own. Runs until the session ends
 * (teardown) or a restart is impossible, which then tears the session down with the error.
 */
export async function keepTunnelUp(
  e: EngineContext,
  s: ActiveSession,
  ctx: SessionContext,
  first: Tunnel,
  onUp: (t: Tunnel) => Promise<void>,
): Promise<void> {
  let tunnel = first;
  let failures = 0;
  for (;;) {
    const first: StopInfo = await tunnelEnded(tunnel);
    if (s.closed) return;
    await s.stopTunnel();
    // The machine's own resolvers come back while there is no tunnel; the kill switch stays.
    await e.network().tunnelDown();
    if (s.closed) return;
    // Both have stopped now. The proxy often ends first (OpenVPN closed its socket) without a
    // reason; OpenVPN's own verdict (auth_failed is final) must not be lost to that race.
    const end = worse(first, await tunnel.ovpn.done, await tunnel.tls.done);
    const code = end.code ?? 'VIW_E_OPENVPN_FAILED';
    e.log.event('session.component_exit', 'failed', { code, detail: end.detail.slice(0, 80) });
    if (!isRetryable(end)) {
      await teardown(e, s, 'component', new ViworksError(code, { details: [end.detail.slice(0, 120)] }));
      return;
    }
    // A drop the backend caused (lock, unbind, terminate) is no reason to knock again.
    if (s.monitor && !(await s.monitor.confirmLive())) {
      await s.teardown;
      return;
    }
    if (s.closed) return;
    if (Date.now() - tunnel.upAt >= ctx.policy.stableMs) failures = 0;
    failures++;
    try {
      if (failures > ctx.policy.retries) throw gaveUp(ctx.policy.retries, end.detail);
      await backoff(e, s, ctx, failures);
      const up = await startWithRetries(e, s, ctx, failures, true);
      tunnel = up.tunnel;
      failures = up.failures;
    } catch (err) {
      if (s.closed) return;
      const v = asViworksError(err, e.log);
      // Session expired while waiting: say so rather than blame OpenVPN.
      await teardown(
        e,
        s,
        'component',
        v.code === 'VIW_E_STATE' ? gaveUp(failures - 1, 'session expired') : v,
      );
      return;
    }
    if (s.closed) {
      await s.stopTunnel();
      return;
    }
    try {
      await onUp(tunnel);
    } catch (err) {
      if (s.closed) return;
      await teardown(
        e,
        s,
        asViworksError(err, e.log).code === 'VIW_E_LEAK' ? 'leak' : 'component',
        asViworksError(err, e.log),
      );
      return;
    }
  }
}
