// The engine's OpenVpnStarter (daemon/engine/types.ts) on top of the runner: render the stdin
// config from the bootstrap, start OpenVPN, wait for readiness, verify the routing policy, and hand
// back a Stoppable whose `done` tells why the tunnel ended. Honours the abort signal at every step.
//
// The bypass routes: with redirect_gateway and the loopback TLS proxy as remote, the config needs the
// gateway address the proxy dials (`gatewayHost`, the SPA knock's host) — without it a full-tunnel
// start is refused (config_rejected) rather than looping the proxy into the tunnel — and the
// backend's addresses (`bypassHosts`) so the daemon's control traffic stays direct (config.ts).
// The leak check after readiness accepts exactly those routes outside the tunnel: it compares the
// main table with a snapshot taken just before OpenVPN started.
import { existsSync } from 'node:fs';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import type {
  OpenVpnHandle,
  OpenVpnStarter,
  OpenVpnStartParams,
  PreflightCheck,
  StopInfo,
} from '../../engine/types.js';
import { renderClientConfig } from './config.js';
import { checkRoutingPolicy, DEFAULT_OPENVPN_PATH, openvpnVersion } from './host-checks.js';
import { type IpOptions, listRoutes } from './iproute.js';
import { OpenVpnError, type OpenVpnReady, startOpenVpn } from './runner.js';

export interface RunnerStarterOptions extends IpOptions {
  readonly openvpnPath?: string;
  /** Default 30 s (a typical bring-up is < 2 s on a LAN: docs/architecture.md#openvpn-on-stdin). */
  readonly readyTimeoutMs?: number;
  /** OpenVPN's sanitized log lines (debug level: they carry addresses). */
  readonly onLog?: (line: string) => void;
  /** Run checkRoutingPolicy after readiness (default true): a leak stops the tunnel, VIW_E_LEAK. */
  readonly verifyRouting?: boolean;
  /** Treat a loopback stub resolver as a DNS leak (default false; see host-checks.ts). */
  readonly strictDns?: boolean;
  /** The tun interface's name (config.ts TUNNEL_INTERFACE by default). */
  readonly deviceName?: string;
}

export interface RunnerOpenVpnHandle extends OpenVpnHandle {
  readonly ready: OpenVpnReady;
}

export class RunnerOpenVpnStarter implements OpenVpnStarter {
  constructor(private readonly o: RunnerStarterOptions = {}) {}

  async start(p: OpenVpnStartParams): Promise<RunnerOpenVpnHandle> {
    if (p.signal.aborted) throw new OpenVpnError('stopped');
    // A Buffer holding the session's keys: the runner wipes it once OpenVPN has read it (or fails).
    let configText: Buffer;
    try {
      configText = renderClientConfig(p.ovpn, p.secrets, {
        remoteHost: p.remoteHost,
        remotePort: p.remotePort,
        gatewayAddresses: p.gatewayHost ? [p.gatewayHost] : [],
        bypassAddresses: p.bypassHosts ?? [],
        ...(this.o.deviceName ? { deviceName: this.o.deviceName } : {}),
      });
    } catch (err) {
      if (isViworksError(err)) throw err;
      throw new OpenVpnError('config_rejected', err);
    }
    const bypass = [...new Set([...(p.gatewayHost ? [p.gatewayHost] : []), ...(p.bypassHosts ?? [])])];
    let routesBefore: Awaited<ReturnType<typeof listRoutes>> | undefined;
    try {
      routesBefore = this.o.verifyRouting === false ? undefined : await listRoutes(4, this.ipOptions());
    } catch (err) {
      configText.fill(0);
      throw err;
    }
    const vpn = await startOpenVpn({
      configText,
      readyTimeoutMs: this.o.readyTimeoutMs ?? 30_000,
      ...(this.o.openvpnPath ? { openvpnPath: this.o.openvpnPath } : {}),
      ...(this.o.onLog ? { onLog: this.o.onLog } : {}),
      ...(this.o.netns ? { netns: this.o.netns } : {}),
    });
    const onAbort = (): void => void vpn.stop();
    p.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (p.signal.aborted) throw new OpenVpnError('stopped');
      const ready = await vpn.ready;
      if (this.o.verifyRouting !== false) {
        await checkRoutingPolicy({
          ...(this.o.netns ? { netns: this.o.netns } : {}),
          tunDevice: ready.tunDevice,
          redirectGateway: p.ovpn.redirect_gateway,
          dnsPush: p.ovpn.dns_push,
          strictDns: this.o.strictDns ?? false,
          bypassAddresses: bypass,
          ...(routesBefore ? { routesBefore } : {}),
        });
      }
      if (p.signal.aborted) throw new OpenVpnError('stopped');
      const done: Promise<StopInfo> = vpn.exited.then((x) =>
        x.reason === 'stopped'
          ? { code: null, detail: 'stopped' }
          : { code: 'VIW_E_OPENVPN_FAILED', detail: `openvpn: ${x.reason}`, retryable: x.retryable },
      );
      return { virtualIp: ready.virtualIp, tunDevice: ready.tunDevice, ready, stop: () => vpn.stop(), done };
    } catch (err) {
      await vpn.stop();
      throw err;
    } finally {
      p.signal.removeEventListener('abort', onAbort);
    }
  }

  private ipOptions(): IpOptions {
    return {
      ...(this.o.netns ? { netns: this.o.netns } : {}),
      ...(this.o.ipPath ? { ipPath: this.o.ipPath } : {}),
    };
  }

  /** Binary (≥ 2.6, safe to execute) and the tun device node. */
  async preflight(): Promise<PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    try {
      const v = await openvpnVersion(this.o.openvpnPath ?? DEFAULT_OPENVPN_PATH);
      checks.push({ name: 'openvpn', ok: true, code: null, detail: `OpenVPN ${v.version}` });
    } catch (err) {
      const detail = isViworksError(err) ? (err.details[0] ?? err.message) : 'openvpn check failed';
      checks.push({ name: 'openvpn', ok: false, code: 'VIW_E_PREFLIGHT', detail: detail.slice(0, 256) });
    }
    const tun = process.platform !== 'linux' || existsSync('/dev/net/tun');
    checks.push(
      tun
        ? { name: 'tun_device', ok: true, code: null, detail: 'tun available' }
        : { name: 'tun_device', ok: false, code: 'VIW_E_PREFLIGHT', detail: '/dev/net/tun missing' },
    );
    return checks;
  }
}
