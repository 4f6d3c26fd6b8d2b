// The TLS proxy's one-connection listener (docs/architecture.md#embedded-tls-proxy): OpenVPN
// (`proto tcp-client`) connects to 127.0.0.1:<port>; the listener accepts that one connection and
// hands it to the byte pump (tls-proxy-pump.ts), which dials the gateway with fast SYN retries
// (fast-dial.ts), verifies it and carries the stream.
//
// One proxy carries exactly one connection: the listener closes as soon as it has accepted one, so
// no other local process can ride an established, pinned tunnel (a second connection is refused).
// It accepts with pauseOnConnect, so not one local byte is read before the gateway is verified.

import { createServer as netCreateServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import type { TrafficCounters } from '../engine/types.js';
import { fastDial } from './fast-dial.js';
import { buildClientContext } from './tls-client-context.js';
import { CARRY_HIGH_WATER_MARK } from './tls-proxy-carry.js';
import {
  type CloseReason,
  DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  deferred,
  type Established,
  type GatewayDialer,
  type ProxiedConnection,
  proxyConnection,
  safeEmit,
  type TlsProxyOptions,
  type TunnelSummary,
  tlsFailed,
  validate,
} from './tls-proxy-pump.js';

export interface TlsProxy {
  /** The loopback port to point OpenVPN at (`remote 127.0.0.1 <port>`). */
  readonly port: number;
  readonly ready: Promise<Established>;
  /** TLS handshake time of the one connection, once known. */
  readonly handshakeMs: number | undefined;
  readonly closed: Promise<TunnelSummary>;
  /** The one connection's traffic; zero bytes and the listen time before it was accepted. */
  traffic(): TrafficCounters;
  close(): void;
}

/**
 * The local listener: accepted paused (pauseOnConnect: not even the kernel's buffered bytes are read
 * before the gateway is verified), half-open allowed, and the pump's write queue size.
 */
export const LOCAL_LISTENER_OPTIONS = {
  allowHalfOpen: true,
  pauseOnConnect: true,
  highWaterMark: CARRY_HIGH_WATER_MARK,
} as const;

/** The proxy's dialer: fastDial's racing attempts, each one a tls.connect (`connect`). */
export function fastGatewayDialer(opts: TlsProxyOptions): GatewayDialer {
  return (connect, signal) =>
    fastDial({
      host: opts.gatewayAddress ?? opts.gatewayHost,
      port: opts.gatewayPort,
      timeoutMs: opts.connectTimeoutMs,
      signal,
      connect,
    });
}

/** Listens on 127.0.0.1:<random>, carries exactly one connection to the gateway, then is done. */
export async function startTlsProxy(opts: TlsProxyOptions): Promise<TlsProxy> {
  validate(opts);
  // Once, before listening: a certificate/key mismatch is a VIW_E_VALIDATION here, not a dial failure.
  // The context holds OpenSSL's parsed copy of the client key until V8 collects it: the handle lets
  // go of it (and of the connection, whose socket keeps it too) as soon as it is no longer needed, so
  // a handle somebody still holds after the session does not keep the key alive (native-copies.ts).
  let context: SecureContext | null = buildClientContext(opts);
  const ready = deferred<Established>();
  const closed = deferred<TunnelSummary>();
  let handshakeMs: number | undefined;
  let conn: ProxiedConnection | undefined;
  let finalTraffic: TrafficCounters | undefined;
  let acceptTimer: NodeJS.Timeout | undefined;
  let done = false;
  let accepted = false;

  const server = netCreateServer(LOCAL_LISTENER_OPTIONS);
  server.maxConnections = 1;
  const stopListening = () => {
    if (server.listening) server.close();
  };
  const finishEarly = (reason: CloseReason) => {
    if (done || conn) return;
    done = true;
    context = null;
    clearTimeout(acceptTimer);
    stopListening();
    const error = tlsFailed(reason === 'timeout' ? 'timeout: no local connection' : 'cancelled');
    safeEmit(opts, { type: 'failed', code: error.code, details: error.details });
    ready.reject(error);
    const summary: TunnelSummary = { reason, error, bytesToGateway: 0, bytesFromGateway: 0 };
    safeEmit(opts, { type: 'closed', summary });
    closed.resolve(summary);
  };

  server.on('connection', (socket) => {
    // maxConnections already drops extras; this also covers one accepted in the same tick.
    if (conn || done || accepted) {
      socket.destroy();
      return;
    }
    clearTimeout(acceptTimer);
    stopListening();
    safeEmit(opts, { type: 'accepted' });
    accepted = true;
    if (!context) {
      socket.destroy();
      return;
    }
    const carried = proxyConnection(socket, opts, context, fastGatewayDialer(opts));
    conn = carried;
    context = null;
    carried.ready.then((e) => {
      handshakeMs = e.handshakeMs;
      ready.resolve(e);
    }, ready.reject);
    carried.closed.then((s) => {
      done = true;
      finalTraffic = carried.traffic();
      conn = undefined;
      closed.resolve(s);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => finishEarly('error'));
  const address = server.address();
  if (address === null || typeof address === 'string') throw tlsFailed('listen');
  const listenedAt = performance.now();
  acceptTimer = setTimeout(
    () => finishEarly('timeout'),
    opts.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
  );
  acceptTimer.unref();
  safeEmit(opts, { type: 'listening', port: address.port });

  return {
    port: address.port,
    ready: ready.promise,
    get handshakeMs() {
      return handshakeMs;
    },
    closed: closed.promise,
    traffic: () => conn?.traffic() ?? finalTraffic ?? { bytesIn: 0, bytesOut: 0, lastActivityMs: listenedAt },
    close: () => {
      if (conn) conn.close();
      else if (!finalTraffic) finishEarly('closed');
    },
  };
}
