// Test doubles for the two components other modules provide (the TLS proxy and the OpenVPN
// runner) — the ONLY fakes the daemon's tests use; SPA, preflight, HPKE, signing and the backend
// are real. They record what the engine handed them so tests can check it.
import { ViworksError } from '../../core/errors/viworks-error.js';
import type {
  OpenVpnHandle,
  OpenVpnStarter,
  OpenVpnStartParams,
  StopInfo,
  TlsProxyHandle,
  TlsProxyStarter,
  TlsProxyStartParams,
  TrafficCounters,
} from '../engine/types.js';

interface Controlled {
  stopped: number;
  /** Ends the component as if it died on its own. */
  crash(info: StopInfo): void;
}

function stoppable(): Controlled & { stop(): Promise<void>; done: Promise<StopInfo> } {
  let settle!: (i: StopInfo) => void;
  const done = new Promise<StopInfo>((r) => {
    settle = r;
  });
  const c = {
    stopped: 0,
    done,
    crash: (info: StopInfo) => settle(info),
    stop: async () => {
      c.stopped++;
      settle({ code: null, detail: 'stopped' });
    },
  };
  return c;
}

/** The fake proxy's traffic, set by the test (lastActivityMs on the monotonic clock). */
export type FakeTraffic = { -readonly [K in keyof TrafficCounters]: TrafficCounters[K] };

export type FakeTlsHandle = TlsProxyHandle & Controlled & { counters: FakeTraffic };

/** A running proxy as FakeTlsProxy returns it; its traffic is whatever the test puts in `counters`. */
export function fakeTlsHandle(lastActivityMs: number = performance.now()): FakeTlsHandle {
  const counters: FakeTraffic = { bytesIn: 0, bytesOut: 0, lastActivityMs };
  return Object.assign(stoppable(), {
    listenHost: '127.0.0.1',
    listenPort: 11194,
    handshakeMs: 3.2,
    // Established as start() resolves (a proxy that handshakes during start()).
    establishedAt: performance.now(),
    counters,
    traffic: () => ({ ...counters }),
  });
}

/** The key pin a fake pin mismatch says the gateway presented (sha256 of nothing in particular). */
export const FAKE_PRESENTED_PIN = Buffer.alloc(32, 0x5a).toString('base64');

export class FakeTlsProxy implements TlsProxyStarter {
  readonly starts: TlsProxyStartParams[] = [];
  readonly handles: FakeTlsHandle[] = [];
  /** Codes to fail the next start() calls with, in order. */
  failWith: Array<'VIW_E_TLS_FAILED' | 'VIW_E_PIN_MISMATCH'> = [];
  /** Delay before start() resolves (ignores the abort signal, as a slow handshake might). */
  delayMs = 0;

  async start(p: TlsProxyStartParams): Promise<TlsProxyHandle> {
    this.starts.push(p);
    if (this.delayMs > 0) {
      // libuv's timers count from a loop time cached to the millisecond, so setTimeout(150) can end
      // at 149.7 ms of performance.now(): wait out the remainder, so the delay is at least delayMs
      // on the clock the daemon's metrics use (metrics.test.ts asserts ≥ 150 ms and once saw 149.7).
      const started = performance.now();
      await new Promise((r) => setTimeout(r, this.delayMs));
      for (let left = this.delayMs - (performance.now() - started); left > 0; ) {
        await new Promise((r) => setTimeout(r, Math.ceil(left)));
        left = this.delayMs - (performance.now() - started);
      }
    }
    const code = this.failWith.shift();
    if (code === 'VIW_E_PIN_MISMATCH') {
      throw Object.assign(new ViworksError(code, { details: ['fake'] }), {
        presentedPin: FAKE_PRESENTED_PIN,
      });
    }
    if (code) throw new ViworksError(code, { details: ['fake'] });
    const h = fakeTlsHandle();
    this.handles.push(h);
    return h;
  }
}

export class FakeOpenVpn implements OpenVpnStarter {
  readonly starts: OpenVpnStartParams[] = [];
  /** The client keys it was handed, as text (a real OpenVPN reads them; `starts` keeps the session's own Buffers, wiped at its end). */
  readonly receivedKeys: string[] = [];
  readonly handles: Array<OpenVpnHandle & Controlled> = [];
  /** Failures for the next start() calls, in order (as the runner's OpenVpnError, with `retryable`). */
  failWith: Array<{ readonly reason: string; readonly retryable: boolean }> = [];

  async start(p: OpenVpnStartParams): Promise<OpenVpnHandle> {
    this.starts.push(p);
    this.receivedKeys.push(Buffer.from(p.secrets.clientKeyPem).toString('utf8'));
    const failure = this.failWith.shift();
    if (failure) {
      const err = new ViworksError('VIW_E_OPENVPN_FAILED', { details: [`openvpn: ${failure.reason}`] });
      throw Object.assign(err, { retryable: failure.retryable });
    }
    const h = Object.assign(stoppable(), { virtualIp: '10.8.0.6', tunDevice: 'viworks0' });
    this.handles.push(h);
    return h;
  }
}
