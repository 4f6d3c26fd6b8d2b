// One connect attempt and the session it creates: the abort signal every step honours, the access
// token for the session API, the opened bootstrap, and the components started for it. Whoever
// ends it (disconnect, revocation, failure, exit) calls Engine.teardown once; a component that
// finishes starting after that is stopped at once (adopt).
import {
  type BootstrapSecrets,
  type PublicBootstrap,
  wipeBootstrapSecrets,
} from '../../core/bootstrap/opened.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { LeakMonitor } from './leak-check.js';
import type { SessionMonitor } from './session-monitor.js';
import { SessionTraffic } from './traffic.js';
import type { OpenVpnHandle, Stoppable, TlsProxyHandle } from './types.js';

const STOP_TIMEOUT_MS = 5000;

export class ActiveSession {
  readonly abort = new AbortController();
  closed = false;
  /** The running teardown, so concurrent callers wait for the same one. */
  teardown: Promise<void> | null = null;
  sessionId: string | null = null;
  payload: PublicBootstrap | null = null;
  /** The session's key material (core/bootstrap/opened.ts): Buffers, wiped by forgetSecrets. */
  secrets: BootstrapSecrets | null = null;
  monitor: SessionMonitor | null = null;
  /** The current tunnel's leak checks (leak-check.ts); a new one per tunnel. */
  leakMonitor: LeakMonitor | null = null;
  /** Was connected at least once: a later loss holds the kill switch (network-guard.ts). */
  everConnected = false;
  tls: TlsProxyHandle | null = null;
  openvpn: OpenVpnHandle | null = null;
  /** Bytes and last activity over the session's tunnels (status `traffic`, idle auto-logout). */
  readonly traffic = new SessionTraffic();

  constructor(readonly accessToken: string) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Keeps a freshly started component, or stops it at once when the session already ended. */
  async adopt<T extends Stoppable>(handle: T): Promise<T> {
    if (this.closed) {
      await stopQuietly(handle);
      throw cancelled();
    }
    return handle;
  }

  /** Zeroes the session's key material and drops it (teardown, and every failed connect). */
  forgetSecrets(): void {
    wipeBootstrapSecrets(this.secrets);
    this.secrets = null;
    this.payload = null;
  }

  /** Stops the monitor and the tunnel: the session is over. */
  async stopComponents(): Promise<void> {
    this.monitor?.stop();
    await this.stopTunnel();
  }

  /**
   * Stops OpenVPN first (routes and DNS revert while the proxy still carries its exit), then the
   * proxy. The monitor keeps running: a restart (restart.ts) brings up a new tunnel for the session.
   */
  async stopTunnel(): Promise<void> {
    this.leakMonitor?.stop();
    this.leakMonitor = null;
    const ovpn = this.openvpn;
    const tls = this.tls;
    this.openvpn = null;
    this.tls = null;
    if (ovpn) await stopQuietly(ovpn);
    if (tls) await stopQuietly(tls);
  }
}

export function cancelled(): ViworksError {
  return new ViworksError('VIW_E_STATE', { details: ['connect cancelled: the session was ended'] });
}

async function stopQuietly(handle: Stoppable): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    handle.stop().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}
