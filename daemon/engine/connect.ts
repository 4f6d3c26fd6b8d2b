// The connect sequence (POST /v1/connect), after a completed login:
//   bootstrapping  GET /client/bootstrap (Bearer + one-time grant) → open the envelope in memory
//   preflight      captive portal, clock, backend, other VPNs, time-zone policy, gateway DNS
//                  (bounded), backend addresses, component checks; then the kill switch
//                  (network-guard.ts) for this gateway and backend, before anything is knocked
//   spa → tls      knock, then the pinned TLS proxy; a closed door is knocked again (3 tries, jitter)
//   openvpn        OpenVPN on stdin through the proxy (tunnel.ts)
//   connected      the pushed DNS applied and the first leak checks passed (leak-check.ts);
//                  heartbeats + the revocation stream run from the bootstrap on; a tunnel that
//                  dies is brought up afresh, spa → tls → openvpn → connected (restart.ts)
// Any failure tears the session down (backend told, components stopped, secrets dropped) and
// leaves the state `error` with the code.

import { LOCAL_API_VERSION } from '../../core/api/local.js';
import type { PublicBootstrap } from '../../core/bootstrap/opened.js';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { probeCaptivePortal } from './captive-portal.js';
import { hardeningReports, leakReport } from './client-reports.js';
import { openBootstrap } from './device-keys.js';
import { teardown } from './disconnect.js';
import type { EngineContext } from './engine-context.js';
import { asViworksError } from './errors.js';
import { type LeakFinding, LeakMonitor } from './leak-check.js';
import { backendBypassAddresses, backendPort, resolveWithTimeout } from './resolve.js';
import { keepTunnelUp, type SessionContext, startWithRetries } from './restart.js';
import { type ActiveSession, cancelled } from './session.js';
import { SessionMonitor } from './session-monitor.js';
import { round } from './status.js';
import { fail, ok, preflightError } from './system-preflight.js';
import type { Tunnel, TunnelRoute } from './tunnel.js';
import type { PreflightCheck } from './types.js';

export { SPA_ATTEMPTS } from './tunnel.js';

export async function connect(
  e: EngineContext,
): Promise<{ v: typeof LOCAL_API_VERSION; state: 'connected' }> {
  if (e.activeSession()) {
    throw new ViworksError('VIW_E_STATE', { details: ['already connected or connecting'] });
  }
  const record = e.requireRecord();
  const access = e.takeGrant(); // one-time, whatever happens next
  if (!access) {
    throw new ViworksError('VIW_E_AUTH_REQUIRED', { details: ['log in and enter the code first'] });
  }
  const s = e.beginSession(access.accessToken);
  const started = performance.now();
  try {
    e.enterStep(s, 'bootstrapping', { last_error: null });
    const boot = await e.backend(record).bootstrap(s.accessToken, access.grant, s.signal);
    const sessionId = boot.value.session_id;
    // Known before opening: a failure from here on still ends the session on the backend.
    s.sessionId = sessionId;
    const { payload, secrets } = await openBootstrap(
      e.keyStore(),
      boot.value.envelope,
      toWireId('d', record.device_id),
      sessionId,
    );
    // Held by the session from here, so whoever ends it wipes them (the catch below too, for an
    // end that came while the open was still waiting, e.g. on the TPM).
    s.payload = payload;
    s.secrets = secrets;
    if (s.closed) throw cancelled();
    e.patchStatus({
      timings: { bootstrap_ms: round(boot.elapsedMs) },
      session: {
        session_id: sessionId,
        gateway_fqdn: payload.gw_fqdn,
        connected_at: null,
        expires_at: boot.value.expires_at,
        virtual_ip: null,
        browser: payload.browser
          ? // The viewer's root redirects to noVNC's page (gateway/render/nginx-conf.ts).
            { viewer_url: payload.browser.url, targets: [...payload.browser.targets] }
          : null,
      },
    });
    e.log.event('bootstrap.open', 'ok', { session: sessionId, trace: boot.traceId });
    // What the hardening did not achieve, once per session (the backend's audit, best effort).
    for (const r of hardeningReports(sessionId, e.posture())) e.reportEvent(r);
    if (payload.spki_pins.backend.primary_b64 !== record.backend_pins.primary_b64) {
      e.log.warn('bootstrap: the backend pin set differs from the enrolled one (pin roll pending)');
    }
    startMonitor(e, s, payload);

    e.enterStep(s, 'preflight');
    const route = await preflightOrThrow(e, s, payload, record.backend_url);
    await e.network().protectSession(
      {
        backend: { addresses: route.backendAddresses, port: backendPort(record.backend_url) },
        gateway: { address: route.gatewayHost, spaPort: payload.spa.port, tlsPort: payload.gw_port },
      },
      payload.policy.kill_switch === 'required',
    );
    if (s.closed) throw cancelled();
    const ctx: SessionContext = {
      payload,
      secrets,
      route,
      expiresAt: Date.parse(boot.value.expires_at),
      policy: e.components().restartPolicy,
    };

    const { tunnel } = await startWithRetries(e, s, ctx, 0, false);
    if (s.closed) throw cancelled();
    await markConnected(e, s, ctx, tunnel);
    e.patchStatus({ timings: { total_connect_ms: round(performance.now() - started) } });
    e.log.event('session.connected', 'ok', {
      session: sessionId,
      total_ms: round(performance.now() - started),
    });
    void keepTunnelUp(e, s, ctx, tunnel, async (t) => {
      await markConnected(e, s, ctx, t);
      e.log.event('session.reconnected', 'ok', { session: sessionId });
    });
    return { v: LOCAL_API_VERSION, state: 'connected' };
  } catch (err) {
    if (s.closed) {
      // Ended meanwhile (disconnect, revocation): that teardown owns the resulting state. It may
      // have wiped the session's secrets before the open above returned them: wiped again here.
      await s.teardown;
      s.forgetSecrets();
      const last = e.getStatus().last_error;
      throw last ? ViworksError.fromBody(last) : cancelled();
    }
    const v = asViworksError(err, e.log);
    e.log.event('session.connect', 'failed', { code: v.code, step: e.getStatus().state });
    await teardown(e, s, 'failure', v);
    throw v;
  }
}

/** A leak mid-session: the session ends (the kill switch stays) and the backend's audit hears of it. */
function startLeakChecks(
  e: EngineContext,
  s: ActiveSession,
  ctx: SessionContext,
  t: Tunnel,
): Promise<LeakFinding | null> {
  const { leakCheck } = e.components();
  if (!leakCheck) return Promise.resolve(null);
  const bypass = new Set([ctx.route.gatewayHost, ...ctx.route.backendAddresses]);
  const monitor = new LeakMonitor({
    expectations: {
      pushedDns: ctx.payload.ovpn.dns_push,
      virtualIp: t.ovpn.virtualIp,
      fullTunnel: ctx.payload.ovpn.redirect_gateway,
      probeAddresses: leakCheck.probeAddresses.filter((a) => !bypass.has(a)),
      killSwitch: e.network().expectsSwitch(),
    },
    probes: leakCheck.probes,
    intervalS: leakCheck.intervalS,
    onCheck: (info) => e.network().reportLeakCheck(info),
    onLeak: (finding) => void leakDetected(e, s, finding),
    onError: () => e.log.warn('leak check: a probe could not run; retried next round'),
  });
  s.leakMonitor = monitor;
  return monitor.start();
}

function leakError(f: LeakFinding): ViworksError {
  return new ViworksError('VIW_E_LEAK', { details: [`${f.reason}: ${f.detail}`] });
}

async function leakDetected(e: EngineContext, s: ActiveSession, f: LeakFinding): Promise<void> {
  e.log.event('session.leak', 'failed', { reason: f.reason });
  await teardown(e, s, 'leak', leakError(f));
  await reportLeak(e, s.sessionId, f);
}

/**
 * The client's own evidence for the backend's audit stream (the SIEM's dns_leak_detected signal),
 * signed by the device key; sent after the teardown, outside the tunnel (the kill switch lets the
 * backend through). Best effort: the local log has it either way, and a report the backend could
 * not take now stays queued for later (client-events.ts).
 */
export async function reportLeak(e: EngineContext, sessionId: string | null, f: LeakFinding): Promise<void> {
  const sent = await e.reportEventNow(leakReport(sessionId, f.reason, f.detail));
  if (sent) e.log.event('leak.reported', 'ok', { reason: f.reason });
  else e.log.warn('leak: not reported to the backend yet');
}

function startMonitor(e: EngineContext, s: ActiveSession, payload: PublicBootstrap): void {
  const monitor = new SessionMonitor({
    backend: e.backend(),
    accessToken: s.accessToken,
    sessionId: s.sessionId!,
    heartbeatS: payload.policy.heartbeat_s,
    idleTimeoutS: payload.policy.idle_timeout_s,
    log: e.log,
    onEnd: (reason, err) => void teardown(e, s, reason, err),
  });
  s.monitor = monitor;
  monitor.start();
}

/**
 * Connected (again): the pushed DNS on the tunnel's link, the first round of leak checks passed
 * (a leak fails the connect: VIW_E_LEAK), then the state, the tunnel address, and the proxy's
 * traffic counters (carried over a restart) as the status's `traffic` and the idle auto-logout's
 * signal; the leak checks go on every interval.
 */
async function markConnected(
  e: EngineContext,
  s: ActiveSession,
  ctx: SessionContext,
  t: Tunnel,
): Promise<void> {
  const ovpn = ctx.payload.ovpn;
  const iface = t.ovpn.tunDevice ?? null;
  await e.network().tunnelUp(
    iface
      ? {
          servers: ovpn.dns_push,
          searchDomains: ovpn.dns_search,
          interfaceName: iface,
          fullTunnel: ovpn.redirect_gateway,
        }
      : null,
  );
  // The tunnel was up: from here a loss holds the kill switch (disconnect.ts).
  s.everConnected = true;
  const finding = await startLeakChecks(e, s, ctx, t);
  if (finding) {
    // Ends the session (the teardown owns the state and reports VIW_E_LEAK to the caller).
    void leakDetected(e, s, finding);
    throw leakError(finding);
  }
  if (s.closed) throw cancelled();
  s.traffic.attach(t.tls);
  s.monitor?.watchActivity(() => s.traffic.lastActivityMs());
  e.watchTraffic(() => s.traffic.counters());
  const session = e.getStatus().session!;
  e.enterStep(s, 'connected', {
    session: {
      ...session,
      connected_at: session.connected_at ?? new Date().toISOString(),
      virtual_ip: t.ovpn.virtualIp,
    },
  });
}

/**
 * Runs the preflight checks plus the two name resolutions the tunnel needs (bounded in time): the
 * gateway's address (knocked and dialed) and, for a full tunnel, the backend's addresses that get
 * a bypass route. Any failure fails closed with the failing checks as details.
 */
async function preflightOrThrow(
  e: EngineContext,
  s: ActiveSession,
  payload: PublicBootstrap,
  backendUrl: string,
): Promise<TunnelRoute> {
  const { preflight, resolveAll, captivePortal } = e.components();
  // First: behind a portal every later check fails for that one reason, which the user can fix.
  if (captivePortal) {
    const verdict = await probeCaptivePortal(captivePortal);
    if (verdict.kind === 'portal') {
      e.log.event('preflight.captive_portal', 'failed', { detail: verdict.detail });
      throw new ViworksError('VIW_E_CAPTIVE_PORTAL', { details: [`captive_portal: ${verdict.detail}`] });
    }
    if (s.closed) throw cancelled();
  }
  const checks: PreflightCheck[] = await preflight.run({
    health: () => e.backend().health(),
    payload,
    tunnelUp: false,
  });
  let gatewayHost = '';
  try {
    [gatewayHost = ''] = await resolveWithTimeout(resolveAll, payload.gw_fqdn, 'gateway_dns');
    checks.push(ok('gateway_dns', 'gateway name resolves'));
  } catch (err) {
    checks.push(fail('gateway_dns', 'VIW_E_PREFLIGHT', asViworksError(err).details[0] ?? 'does not resolve'));
  }
  // The backend's addresses: a /32 route outside a full tunnel, and the kill switch lets them out.
  let backendAddresses: string[] = [];
  try {
    backendAddresses = await backendBypassAddresses(backendUrl, resolveAll);
    checks.push(
      ok('backend_route', `${backendAddresses.length} backend address(es) reachable outside the tunnel`),
    );
  } catch (err) {
    checks.push(fail('backend_route', 'VIW_E_PREFLIGHT', asViworksError(err).details[0] ?? 'no address'));
  }
  const bypassHosts = payload.ovpn.redirect_gateway ? backendAddresses : [];
  for (const c of checks) if (!c.ok) e.log.warn(`preflight ${c.name}: ${c.detail}`);
  const err = preflightError(checks);
  if (err) throw err;
  if (s.closed) throw cancelled();
  e.log.event('preflight', 'ok', { checks: checks.length });
  return { gatewayHost, bypassHosts, backendAddresses };
}
