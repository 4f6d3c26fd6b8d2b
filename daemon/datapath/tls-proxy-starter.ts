// Plugs the pinned TLS proxy (tls-proxy.ts, tls-proxy-pump.ts) into the engine's TlsProxyStarter
// interface. The proxy dials when OpenVPN connects to it, so start() resolves once it listens;
// `done` settles with the proxy's failure code (VIW_E_PIN_MISMATCH, VIW_E_TLS_FAILED) as soon as
// the dial fails, which the engine watches to tear the connection down (and never retries a pin
// mismatch).
// `traffic()` reads the proxy's live counters (bytes each way, last activity on the monotonic
// clock): the status's `traffic` and the idle auto-logout's signal (session-monitor.ts).
import type { ErrorCode } from '../../core/errors/catalogue.js';
import type { StopInfo, TlsProxyHandle, TlsProxyStarter, TlsProxyStartParams } from '../engine/types.js';
import { startTlsProxy } from './tls-proxy.js';
import type { TunnelSummary } from './tls-proxy-pump.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ProxyStarterOptions {
  readonly connectTimeoutMs?: number;
  /** Progress lines for the daemon log (no secrets: states, pin slot, timings). */
  readonly onLog?: (line: string) => void;
}

function stopInfo(summary: TunnelSummary): StopInfo {
  if (summary.error) {
    const [detail = ''] = summary.error.details;
    // A refused client certificate (revoked, wrong CA) is refused again; a pin mismatch never heals.
    const final =
      summary.error.code === 'VIW_E_PIN_MISMATCH' || detail.startsWith('client certificate refused');
    const presented = (summary.error as { presentedPin?: unknown }).presentedPin;
    return {
      code: summary.error.code as ErrorCode,
      detail: `tls proxy: ${final ? detail : summary.reason}`.slice(0, 120),
      retryable: !final,
      ...(typeof presented === 'string' ? { presentedPin: presented } : {}),
    };
  }
  return { code: null, detail: `tls proxy: ${summary.reason}` };
}

export class PinnedTlsProxyStarter implements TlsProxyStarter {
  constructor(private readonly o: ProxyStarterOptions = {}) {}

  async start(p: TlsProxyStartParams): Promise<TlsProxyHandle> {
    let handshakeMs: number | null = null;
    let establishedAt: number | null = null;
    const proxy = await startTlsProxy({
      gatewayHost: p.gatewayFqdn,
      gatewayAddress: p.gatewayHost,
      gatewayPort: p.gatewayPort,
      caPem: p.gatewayCaPem,
      pins: p.gatewayPins,
      clientCertPem: p.clientCertPem,
      clientKeyPem: p.clientKeyPem,
      connectTimeoutMs: this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      onEvent: (event) => {
        if (event.type === 'established') {
          handshakeMs = event.handshakeMs;
          establishedAt = performance.now();
          this.o.onLog?.(
            `tls proxy established (pin ${event.pin}, handshake ${event.handshakeMs.toFixed(0)} ms)`,
          );
        } else if (event.type === 'failed') {
          this.o.onLog?.(`tls proxy failed: ${event.code}`);
        }
      },
    });
    const abort = () => proxy.close();
    p.signal.addEventListener('abort', abort, { once: true });
    const done = proxy.closed.then((summary) => {
      p.signal.removeEventListener('abort', abort);
      return stopInfo(summary);
    });
    return {
      listenHost: '127.0.0.1',
      listenPort: proxy.port,
      get handshakeMs() {
        return handshakeMs;
      },
      get establishedAt() {
        return establishedAt;
      },
      traffic: () => proxy.traffic(),
      done,
      stop: async () => {
        proxy.close();
        await done;
      },
    };
  }
}
