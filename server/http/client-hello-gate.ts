// Reads each connection's TLS ClientHello before the TLS server takes the socket, so the backend
// knows every client's JA3/JA4 (core/tls/) — those that complete the handshake and those that do
// not. It stands in the listening server's own 'connection' event: the TLS listener (and every
// other listener present when the gate is installed) runs only once the ClientHello has arrived,
// with the bytes put back (`unshift`) so TLS reads them as if nothing had happened.
//
// The pre-read holds an unauthenticated socket, so it is bounded: at most `maxBytes` buffered, at
// most `timeoutMs` to deliver the whole ClientHello (a peer trickling one byte is cut there), at
// most `maxPendingPerAddress` such sockets per source address. A ClientHello announced larger than
// `maxHelloBytes` is refused before its body arrives. Bytes that are not a ClientHello go to TLS
// anyway (it refuses them as it always did): a parser stricter than OpenSSL must never lock a real
// client out; such a connection simply has no fingerprints.
//
// After the handshake the fingerprints of a connection are `fingerprintsOf(request.raw.socket)`.
import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  CLIENT_HELLO_MAX_BYTES,
  type ClientHelloProblem,
  readClientHello,
} from '../../core/tls/client-hello.js';
import { fingerprintClientHello, type TlsFingerprints } from '../../core/tls/fingerprints.js';
import { KeyedGauge } from './edge-limits.js';

/** Why the gate itself ended a connection, or why its bytes had no fingerprints. */
export type GateProblem =
  | ClientHelloProblem
  | 'no ClientHello in time'
  | 'too many bytes before the handshake'
  | 'closed before the ClientHello';

/** One connection as the gate saw it. */
export interface HelloObservation {
  /** The peer's address as the socket reports it (IPv4-mapped IPv6 kept as is); null if unknown. */
  readonly srcIp: string | null;
  readonly srcPort: number | null;
  /** Null when the bytes were not a whole ClientHello. */
  readonly fingerprints: TlsFingerprints | null;
  /** Why the bytes handed to TLS had no fingerprints (TLS then refused them); null otherwise. */
  readonly problem: ClientHelloProblem | null;
  /** Bytes received before the TLS server took over (0: the peer sent nothing). */
  readonly bytes: number;
}

export type HandshakeOutcome =
  | {
      readonly completed: true;
      readonly protocol: string | null;
      readonly durationMs: number;
      /** The TLS socket (what it is used for decides whether an unknown fingerprint matters: connection-use.ts). */
      readonly socket?: TLSSocket;
    }
  | {
      readonly completed: false;
      /** The gate's reason, or the TLS error code (ERR_SSL_NO_SHARED_CIPHER, ECONNRESET, …). */
      readonly reason: GateProblem | string;
      readonly durationMs: number;
    };

export interface ClientHelloGateOptions {
  /** Longest wait for the whole ClientHello (the TLS handshake timeout starts after it). */
  readonly timeoutMs: number;
  readonly maxPendingPerAddress: number;
  readonly maxHelloBytes?: number;
  /** Most bytes buffered before the message is whole (records can split it into many pieces). */
  readonly maxBytes?: number;
  /**
   * Called once per connection when its handshake completed or failed (or never began). It must
   * not throw; what it does with the observation (audit events) is its own business.
   */
  readonly onHandshake: (hello: HelloObservation, outcome: HandshakeOutcome) => void;
}

/** Fingerprints by socket: the raw TCP socket and, after the handshake, its TLS socket. */
const fingerprintsBySocket = new WeakMap<object, TlsFingerprints>();

/** The JA3/JA4 of the connection a request came on (`request.raw.socket`); null if unknown. */
export function fingerprintsOf(socket: object | null | undefined): TlsFingerprints | null {
  return (socket && fingerprintsBySocket.get(socket)) ?? null;
}

interface Pending {
  readonly hello: HelloObservation;
  readonly startedAt: number;
  settled: boolean;
}

/** Installs the gate in front of `server`'s TLS listener. Call once, before `listen`. */
export function installClientHelloGate(server: Server, o: ClientHelloGateOptions): { close(): void } {
  const maxHelloBytes = o.maxHelloBytes ?? CLIENT_HELLO_MAX_BYTES;
  const maxBytes = o.maxBytes ?? 2 * maxHelloBytes + 64;
  const downstream = server.rawListeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  const pendingPerAddress = new KeyedGauge(o.maxPendingPerAddress);
  /** Connections handed to TLS whose handshake has not ended yet, by raw socket. */
  const handedOver = new WeakMap<object, Pending>();
  /** Sockets still in the pre-read, so a closing server need not wait for their timeout. */
  const reading = new Set<Socket>();
  let closing = false;
  const report: ClientHelloGateOptions['onHandshake'] = (hello, outcome) => {
    if (!closing) o.onHandshake(hello, outcome);
  };

  const settle = (p: Pending, outcome: HandshakeOutcome) => {
    if (p.settled) return;
    p.settled = true;
    report(p.hello, outcome);
  };
  const elapsed = (p: { startedAt: number }) => Math.max(0, Math.round(performance.now() - p.startedAt));

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!pendingPerAddress.acquire(address)) {
      socket.destroy();
      return;
    }
    const startedAt = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const observation = (
      fingerprints: TlsFingerprints | null,
      problem: ClientHelloProblem | null = null,
    ): HelloObservation => ({
      srcIp: socket.remoteAddress ?? null,
      srcPort: socket.remotePort ?? null,
      fingerprints,
      problem,
      bytes: size,
    });
    const finish = () => {
      done = true;
      reading.delete(socket);
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      pendingPerAddress.release(address);
    };
    /** The gate ends the connection itself: TLS never sees it. */
    const refuse = (reason: GateProblem) => {
      if (done) return;
      const hello = observation(null);
      finish();
      socket.destroy();
      report(hello, { completed: false, reason, durationMs: Math.round(performance.now() - startedAt) });
    };
    const handOver = (fingerprints: TlsFingerprints | null, problem: ClientHelloProblem | null = null) => {
      const hello = observation(fingerprints, problem);
      finish();
      if (fingerprints) fingerprintsBySocket.set(socket, fingerprints);
      const pending: Pending = { hello, startedAt, settled: false };
      handedOver.set(socket, pending);
      socket.once('close', () => settle(pending, failed('closed during the handshake', pending)));
      socket.pause();
      socket.unshift(Buffer.concat(chunks, size));
      socket.off('error', ignore);
      for (const listener of downstream) listener.call(server, socket);
    };
    const failed = (reason: string, p: Pending): HandshakeOutcome => ({
      completed: false,
      reason,
      durationMs: elapsed(p),
    });
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const read = readClientHello(
        size === chunk.length ? chunk : Buffer.concat(chunks, size),
        maxHelloBytes,
      );
      if (read.state === 'complete') handOver(fingerprintClientHello(read.hello));
      else if (read.state === 'invalid' && read.problem === 'ClientHello too large') refuse(read.problem);
      else if (read.state === 'invalid') handOver(null, read.problem);
      else if (size > maxBytes) refuse('too many bytes before the handshake');
    };
    const onClose = () => {
      if (done) return;
      const hello = observation(null);
      finish();
      report(hello, {
        completed: false,
        reason: 'closed before the ClientHello',
        durationMs: Math.round(performance.now() - startedAt),
      });
    };
    const timer = setTimeout(() => refuse('no ClientHello in time'), o.timeoutMs);
    reading.add(socket);
    socket.on('error', ignore);
    socket.on('data', onData);
    socket.on('close', onClose);
  });

  const pendingOf = (tlsSocket: TLSSocket) => {
    // A TLS socket made by the server over a net.Socket keeps it as `_parent` (Node's _tls_wrap).
    const raw = (tlsSocket as TLSSocket & { _parent?: object | null })._parent;
    return raw ? handedOver.get(raw) : undefined;
  };
  server.on('secureConnection', (tlsSocket: TLSSocket) => {
    const p = pendingOf(tlsSocket);
    if (!p) return;
    flushBeforeDestroy(tlsSocket);
    if (p.hello.fingerprints) fingerprintsBySocket.set(tlsSocket, p.hello.fingerprints);
    settle(p, {
      completed: true,
      protocol: tlsSocket.getProtocol(),
      durationMs: elapsed(p),
      socket: tlsSocket,
    });
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, tlsSocket: TLSSocket) => {
    const p = pendingOf(tlsSocket);
    if (p) settle(p, { completed: false, reason: err.code ?? 'TLS error', durationMs: elapsed(p) });
  });
  return {
    /** Ends the connections still in the pre-read (the server is closing; nothing is reported). */
    close: () => {
      closing = true;
      for (const socket of reading) socket.destroy();
    },
  };
}

/**
 * Node's TLS layer sends encrypted output one write at a time and learns that a write finished
 * only on the next turn of the event loop; output produced meanwhile waits, and `destroy()` in that
 * window drops it. A socket whose handshake began with bytes injected from JavaScript (ours, after
 * the pre-read) hits that window when the server answers and destroys at once — the edge's error
 * answers (431, 408, 400: write, then destroy) would then never reach the client. So on these
 * sockets a destroy() with output still queued waits one turn (setImmediate), once.
 */
function flushBeforeDestroy(tlsSocket: TLSSocket): void {
  const destroy = tlsSocket.destroy.bind(tlsSocket);
  let deferred = false;
  tlsSocket.destroy = (err?: Error) => {
    const handle = (tlsSocket as TLSSocket & { _handle?: { writeQueueSize?: number } | null })._handle;
    const queued = tlsSocket.writableLength + (handle?.writeQueueSize ?? 0);
    if (deferred || tlsSocket.destroyed || queued === 0) return destroy(err);
    deferred = true;
    setImmediate(() => destroy(err));
    return tlsSocket;
  };
}

/** Before TLS owns the socket a reset must not become an uncaught 'error'; 'close' follows it. */
function ignore(): void {}
