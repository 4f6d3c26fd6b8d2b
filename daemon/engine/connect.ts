// The connect sequence (POST /v1/connect), after a completed login:
//   bootstrapping  GET /client/bootstrap (Bearer + one-time grant) → open the envelope in memory
//   preflight      clock, backend, other VPNs, time-zone policy, gateway DNS, component checks
//   spa → tls      knock, then the pinned TLS proxy; a closed door is knocked again (3 tries, jitter)
//   openvpn        OpenVPN on stdin through the proxy
//   connected      heartbeats + the revocation stream run from the bootstrap on
// Any failure tears the session down (backend told, components stopped, secrets dropped) and
// leaves the state `error` with the code.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_API_VERSION } from '../../core/api/local.js';
import type { BootstrapPayload } from '../../core/bootstrap/payload.js';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { openBootstrap } from './device-keys.js';
import { asViworksError, type Engine } from './engine.js';
import { fail, ok, preflightError } from './preflight.js';
import { ActiveSession, cancelled } from './session.js';
import { SessionMonitor } from './session-monitor.js';
import { round } from './status.js';
import type { PreflightCheck, Stoppable, TlsProxyHandle } from './types.js';

export const SPA_ATTEMPTS = 3;

export async function connect(e: Engine): Promise<{ v: typeof LOCAL_API_VERSION; state: 'connected' }> {
  if (e.session) throw new ViworksError('VIW_E_STATE', { details: ['already connected or connecting'] });
  const record = e.requireRecord();
  const access = e.vault.access;
  if (!access?.grant) {
    throw new ViworksError('VIW_E_AUTH_REQUIRED', { details: ['log in and enter the code first'] });
  }
  const grant = access.grant;
  access.grant = null; // one-time, whatever happens next
  e.vault.arm();
  const s = new ActiveSession(access.accessToken);
  e.session = s;
  const started = performance.now();
  try {
    e.setState('bootstrapping', { last_error: null });
    const boot = await e.backend(record).bootstrap(s.accessToken, grant, s.signal);
    const sessionId = boot.value.session_id;
    // Known before opening: a failure from here on still ends the session on the backend.
    s.sessionId = sessionId;
    const payload = await openBootstrap(
      e.deps.keyStore,
      boot.value.envelope,
      toWireId('d', record.device_id),
      sessionId,
    );
    s.payload = payload;
    if (s.closed) throw cancelled();
    e.status.update({
      timings: { bootstrap_ms: round(boot.elapsedMs) },
      session: {
        session_id: sessionId,
        gateway_fqdn: payload.gw_fqdn,
        connected_at: null,
        expires_at: boot.value.expires_at,
        virtual_ip: null,
      },
    });
    e.log.event('bootstrap.open', 'ok', { session: sessionId, trace: boot.traceId });
    if (payload.spki_pins.backend.primary_b64 !== record.backend_pins.primary_b64) {
      e.log.warn('bootstrap: the backend pin set differs from the enrolled one (pin roll pending)');
    }
    startMonitor(e, s, payload);

    e.setState('preflight');
    const gatewayHost = await preflightOrThrow(e, s, payload);

    const tls = await knockAndDial(e, s, payload, gatewayHost);
    watchComponent(e, s, tls, 'VIW_E_TLS_FAILED');

    e.setState('openvpn');
    const t0 = performance.now();
    const ovpn = await s.adopt(
      await e.deps.openvpn.start({
        sessionId,
        remoteHost: tls.listenHost,
        remotePort: tls.listenPort,
        gatewayHost,
        ovpn: payload.ovpn,
        signal: s.signal,
      }),
    );
    s.openvpn = ovpn;
    e.log.event('openvpn.up', 'ok', { openvpn_ms: round(performance.now() - t0) });
    watchComponent(e, s, ovpn, 'VIW_E_OPENVPN_FAILED');
    const activity = ovpn.lastActivityAt
      ? () => ovpn.lastActivityAt?.() ?? null
      : tls.lastActivityAt
        ? () => tls.lastActivityAt?.() ?? null
        : null;
    if (activity) s.monitor?.watchActivity(activity);
    if (s.closed) throw cancelled();
    e.setState('connected', {
      session: {
        ...e.status.get().session!,
        connected_at: new Date().toISOString(),
        virtual_ip: ovpn.virtualIp,
      },
      timings: {
        openvpn_ms: round(performance.now() - t0),
        total_connect_ms: round(performance.now() - started),
      },
    });
    e.log.event('session.connected', 'ok', {
      session: sessionId,
      total_ms: round(performance.now() - started),
    });
    return { v: LOCAL_API_VERSION, state: 'connected' };
  } catch (err) {
    if (s.closed) {
      // Ended meanwhile (disconnect, revocation): that teardown owns the resulting state.
      await s.teardown;
      const last = e.status.get().last_error;
      throw last ? ViworksError.fromBody(last) : cancelled();
    }
    const v = asViworksError(err, e.log);
    e.log.event('session.connect', 'failed', { code: v.code, step: e.status.state });
    await e.teardown(s, 'failure', v);
    throw v;
  }
}

function startMonitor(e: Engine, s: ActiveSession, payload: BootstrapPayload): void {
  const monitor = new SessionMonitor({
    backend: e.backend(),
    accessToken: s.accessToken,
    sessionId: s.sessionId!,
    heartbeatS: payload.policy.heartbeat_s,
    idleTimeoutS: payload.policy.idle_timeout_s,
    log: e.log,
    onEnd: (reason, err) => void e.teardown(s, reason, err),
  });
  s.monitor = monitor;
  monitor.start();
}

/** Runs the preflight checks plus gateway resolution; returns the gateway's address. */
async function preflightOrThrow(e: Engine, s: ActiveSession, payload: BootstrapPayload): Promise<string> {
  const checks: PreflightCheck[] = await e.deps.preflight.run({
    health: () => e.backend().health(),
    payload,
    tunnelUp: false,
  });
  let host = '';
  try {
    host = await e.deps.resolveHost(payload.gw_fqdn);
    checks.push(ok('gateway_dns', 'gateway name resolves'));
  } catch {
    checks.push(fail('gateway_dns', 'VIW_E_PREFLIGHT', 'gateway name does not resolve'));
  }
  for (const c of checks) if (!c.ok) e.log.warn(`preflight ${c.name}: ${c.detail}`);
  const err = preflightError(checks);
  if (err) throw err;
  if (s.closed) throw cancelled();
  e.log.event('preflight', 'ok', { checks: checks.length });
  return host;
}

async function knockAndDial(
  e: Engine,
  s: ActiveSession,
  payload: BootstrapPayload,
  gatewayHost: string,
): Promise<TlsProxyHandle> {
  for (let attempt = 1; ; attempt++) {
    e.setState('spa');
    const t0 = performance.now();
    const encKey = Buffer.from(payload.spa.enc_key, 'base64');
    const hmacKey = Buffer.from(payload.spa.hmac_key, 'base64');
    try {
      await e.deps.spa.send(
        {
          host: gatewayHost,
          port: payload.spa.port,
          username: payload.spa.username,
          encKey,
          hmacKey,
          accessPorts: [{ proto: 'tcp', port: payload.gw_port }],
          clientTimeout: payload.spa.ttl_s,
        },
        s.signal,
      );
    } finally {
      wipe(encKey, hmacKey);
    }
    e.status.update({ timings: { spa_ms: round(performance.now() - t0) } });
    e.log.event('spa.sent', 'ok', { attempt });
    if (s.closed) throw cancelled();

    e.setState('tls');
    try {
      const handle = await s.adopt(
        await e.deps.tls.start({
          sessionId: s.sessionId!,
          gatewayFqdn: payload.gw_fqdn,
          gatewayHost,
          gatewayPort: payload.gw_port,
          gatewayPins: payload.spki_pins.gateway,
          gatewayCaPem: payload.ovpn.ca_inline,
          signal: s.signal,
        }),
      );
      s.tls = handle;
      e.status.update({
        timings: { tls_handshake_ms: handle.handshakeMs === null ? null : round(handle.handshakeMs) },
      });
      e.log.event('tls.proxy', 'ok', { attempt });
      return handle;
    } catch (err) {
      const v = asViworksError(err, e.log);
      if (s.closed || v.code !== 'VIW_E_TLS_FAILED') throw v;
      e.log.event('tls.proxy', 'failed', { attempt, code: v.code });
      if (attempt >= SPA_ATTEMPTS) {
        throw new ViworksError('VIW_E_SPA_FAILED', {
          details: [`no TLS answer after ${SPA_ATTEMPTS} knocks`],
        });
      }
      await sleep(randomInt(250, 1000), undefined, { signal: s.signal });
    }
  }
}

/** A component that stops on its own ends the session with its code. */
function watchComponent(
  e: Engine,
  s: ActiveSession,
  c: Stoppable,
  fallback: 'VIW_E_TLS_FAILED' | 'VIW_E_OPENVPN_FAILED',
) {
  void c.done.then((info) => {
    if (s.closed) return;
    const err = new ViworksError(info.code ?? fallback, { details: [info.detail.slice(0, 120)] });
    e.log.event('session.component_exit', 'failed', { code: err.code });
    void e.teardown(s, 'component', err);
  });
}
