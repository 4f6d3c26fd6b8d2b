// One tunnel attempt for a session: SPA knock → pinned one-connection TLS proxy → OpenVPN on stdin.
// Every attempt (the first and each restart) does all three afresh: the proxy carries exactly one
// connection and the knock's door closes after spa.ttl_s, so nothing of an earlier attempt is reused.
// A closed door (VIW_E_TLS_FAILED on start) is knocked again, up to SPA_ATTEMPTS times with jitter.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BootstrapSecrets, PublicBootstrap } from '../../core/bootstrap/opened.js';
import { secretCopy, wipe } from '../../core/crypto/bytes.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { latencyReports, pinMismatchReport, presentedPinOf, spaSentReport } from './client-reports.js';
import type { EngineContext } from './engine-context.js';
import { asViworksError } from './errors.js';
import type { ActiveSession } from './session.js';
import { round } from './status.js';
import type { OpenVpnHandle, StopInfo, TlsProxyHandle } from './types.js';

export const SPA_ATTEMPTS = 3;

/** Where the tunnel goes: the gateway's address (knocked and dialed) and what bypasses the tunnel. */
export interface TunnelRoute {
  readonly gatewayHost: string;
  /** The backend's IPv4 addresses kept outside a full tunnel (resolve.ts); empty for a split one. */
  readonly bypassHosts: readonly string[];
  /** The backend's IPv4 addresses (non-loopback), which the kill switch lets out. */
  readonly backendAddresses: readonly string[];
}

export interface Tunnel {
  readonly tls: TlsProxyHandle;
  readonly ovpn: OpenVpnHandle;
  /** Epoch ms when OpenVPN became ready. */
  readonly upAt: number;
}

/**
 * Brings one tunnel up (states spa → tls → openvpn); on failure, stops what this attempt started.
 * The backend's audit hears (client-reports.ts, best effort) of each knock, of the tunnel's two
 * latencies once it is up, and of a gateway key that matched neither pin.
 */
export async function startTunnel(
  e: EngineContext,
  s: ActiveSession,
  payload: PublicBootstrap,
  secrets: BootstrapSecrets,
  route: TunnelRoute,
): Promise<Tunnel> {
  try {
    return await bringUp(e, s, payload, secrets, route);
  } catch (err) {
    if (asViworksError(err).code === 'VIW_E_PIN_MISMATCH') {
      e.reportEvent(pinMismatchReport(s.sessionId, 'gateway', presentedPinOf(err), route.gatewayHost));
    }
    throw err;
  }
}

async function bringUp(
  e: EngineContext,
  s: ActiveSession,
  payload: PublicBootstrap,
  secrets: BootstrapSecrets,
  route: TunnelRoute,
): Promise<Tunnel> {
  const { handle: tls, spaSentAt, startedAt } = await knockAndDial(e, s, payload, secrets, route.gatewayHost);
  e.enterStep(s, 'openvpn');
  const t0 = performance.now();
  const starting = e.components().openvpn.start({
    sessionId: s.sessionId!,
    remoteHost: tls.listenHost,
    remotePort: tls.listenPort,
    gatewayHost: route.gatewayHost,
    bypassHosts: route.bypassHosts,
    ovpn: payload.ovpn,
    secrets: { tlsCryptKey: secrets.tlsCryptKey, clientKeyPem: secrets.clientKeyPem },
    signal: s.signal,
  });
  try {
    // The proxy dials when OpenVPN connects; its failure (pin mismatch, refused client
    // certificate…) is the real reason, not OpenVPN's "connection reset" that follows it.
    const ovpn = await s.adopt(await Promise.race([starting, proxyFailure(tls)]));
    s.openvpn = ovpn;
    // The proxy dials the gateway only when OpenVPN connects to it, so the handshake time is known
    // here, not when the proxy started listening.
    const handshake = tls.handshakeMs;
    e.patchStatus({
      timings: {
        openvpn_ms: round(performance.now() - t0),
        tls_handshake_ms: handshake === null ? null : round(handshake),
      },
    });
    e.log.event('openvpn.up', 'ok', { openvpn_ms: round(performance.now() - t0) });
    const upAt = performance.now();
    // A proxy that dials on accept was established while OpenVPN connected; else when it started.
    for (const r of latencyReports(s.sessionId!, {
      spaSentAt,
      tlsAt: tls.establishedAt ?? startedAt,
      upAt,
    })) {
      e.reportEvent(r);
    }
    return { tls, ovpn, upAt: Date.now() };
  } catch (err) {
    starting.then(
      (late) => late.stop(),
      () => undefined,
    );
    await s.stopTunnel();
    throw err;
  }
}

/** Rejects when the proxy stops with a failure code (carrying its `retryable`); never settles otherwise. */
function proxyFailure(tls: TlsProxyHandle): Promise<never> {
  return tls.done.then((info) => {
    if (info.code === null) return new Promise<never>(() => {});
    throw stopError(info);
  });
}

/**
 * A StopInfo as an error; `retryable` rides along for the restart policy (restart.ts), and
 * `presentedPin` for the pin mismatch report.
 */
export function stopError(info: StopInfo): ViworksError & { retryable?: boolean; presentedPin?: string } {
  const err = new ViworksError(info.code ?? 'VIW_E_OPENVPN_FAILED', { details: [info.detail.slice(0, 120)] });
  return Object.assign(
    err,
    info.retryable === undefined ? {} : { retryable: info.retryable },
    info.presentedPin === undefined ? {} : { presentedPin: info.presentedPin },
  );
}

/**
 * Settles when the tunnel ends on its own: the first of its two components to stop. When the proxy
 * goes first (the gateway dropped the TLS connection) OpenVPN's later exit says nothing new.
 */
export function tunnelEnded(t: Tunnel): Promise<StopInfo> {
  return Promise.race([t.ovpn.done, t.tls.done]);
}

async function knockAndDial(
  e: EngineContext,
  s: ActiveSession,
  payload: PublicBootstrap,
  secrets: BootstrapSecrets,
  gatewayHost: string,
): Promise<{ handle: TlsProxyHandle; spaSentAt: number; startedAt: number }> {
  const { spa, tls } = e.components();
  for (let attempt = 1; ; attempt++) {
    e.enterStep(s, 'spa');
    const t0 = performance.now();
    // Copies for this knock (the sender may hold them while it encodes): wiped right after.
    const encKey = secretCopy(secrets.spaEncKey);
    const hmacKey = secretCopy(secrets.spaHmacKey);
    try {
      await spa.send(
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
    const spaSentAt = performance.now();
    e.patchStatus({ timings: { spa_ms: round(spaSentAt - t0) } });
    e.log.event('spa.sent', 'ok', { attempt });
    const knocked = spaSentReport(s.sessionId!, gatewayHost, payload.spa.port);
    if (knocked) e.reportEvent(knocked);

    e.enterStep(s, 'tls'); // cancelled() if the session ended during the knock
    try {
      const handle = await s.adopt(
        await tls.start({
          sessionId: s.sessionId!,
          gatewayFqdn: payload.gw_fqdn,
          gatewayHost,
          gatewayPort: payload.gw_port,
          gatewayPins: payload.spki_pins.gateway,
          gatewayCaPem: payload.ovpn.ca_inline,
          // The gateway's stunnel requires the session's client certificate (verify = 2).
          clientCertPem: payload.ovpn.cert_inline,
          clientKeyPem: secrets.clientKeyPem,
          signal: s.signal,
        }),
      );
      s.tls = handle;
      e.patchStatus({
        timings: { tls_handshake_ms: handle.handshakeMs === null ? null : round(handle.handshakeMs) },
      });
      e.log.event('tls.proxy', 'ok', { attempt });
      return { handle, spaSentAt, startedAt: performance.now() };
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
