// The TLS proxy's byte pump (docs/architecture.md#embedded-tls-proxy): one local socket (OpenVPN's,
// accepted by the listener in tls-proxy.ts) carried inside TLS 1.3 to the gateway's stunnel. The gateway is
// trusted only if BOTH hold: its chain verifies against the bootstrap's CA for the gateway FQDN, and
// its leaf key matches the primary or backup SPKI pin. Any failure closes both sockets before one
// byte of the local stream has been read, let alone sent.
//
// The gateway also authenticates us (stunnel `verify = 2`): the proxy presents the session's client
// certificate from the bootstrap (tls-client-context.ts). In TLS 1.3 the server judges it only after
// our side has finished, so a refusal arrives as an alert on the first read: it is reported as
// `client certificate refused: <alert>` rather than a generic stream error.
//
// The bytes themselves are carried by tls-proxy-carry.ts (records read into a reused buffer).
//
// Traffic: both directions are counted as they flow (the chunk lengths, as each chunk is carried)
// with the monotonic time of the last traffic, for the status and the idle auto-logout. OpenVPN's
// keepalive (`keepalive 10 60` on the gateway: a 16-byte ping each way every 10 s, a 42-byte frame
// on TCP with the AEAD data ciphers) would otherwise keep every quiet tunnel "active" forever, so a
// chunk of at most KEEPALIVE_MAX_BYTES is counted but does not move the last-activity time. The
// smallest real packet (an IPv4 header with an ICMP or TCP header: ≥ 28 bytes) makes ≥ 54.
import { X509Certificate } from 'node:crypto';
import { isIP, type OnReadOpts, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ConnectionOptions,
  checkServerIdentity,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import {
  assertPinSet,
  matchPin,
  type PinMatch,
  type PinSet,
  spkiPinFromCertificate,
} from '../../core/crypto/pins.js';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { isViworksError, ViworksError } from '../../core/errors/viworks-error.js';
import type { TrafficCounters } from '../engine/types.js';
import { buildClientContext, clientIdentityProblems } from './tls-client-context.js';
import { CARRY_HIGH_WATER_MARK, carryChunks, recordReader, whenCarried } from './tls-proxy-carry.js';

export interface TlsProxyOptions {
  /** The gateway FQDN: sent as SNI and checked against the certificate's subjectAltName. */
  readonly gatewayHost: string;
  /** IP address to dial instead of resolving gatewayHost (tests, lab); SNI and checks still use the FQDN. */
  readonly gatewayAddress?: string;
  readonly gatewayPort: number;
  /** The bootstrap's CA chain (PEM); the only trust anchors for the gateway. */
  readonly caPem: string;
  readonly pins: PinSet;
  /**
   * The session's client certificate and key (PEM, bootstrap ovpn.cert_inline / key_inline), for a
   * gateway that requires one. Both or neither; loaded once into the TLS context, never to a file.
   */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string | Uint8Array;
  /** TCP connect + TLS handshake + verification must finish within this. */
  readonly connectTimeoutMs: number;
  /**
   * Idle before the first byte: how long the proxy waits for the local client to connect after
   * listening, and again for its first byte once the tunnel is up. Default 15 s.
   */
  readonly firstByteTimeoutMs?: number;
  /** How long one direction may stay open after the other has ended (half-close). Default 10 s. */
  readonly halfCloseTimeoutMs?: number;
  /** Progress for the engine's status and SLO timings; must not throw (errors are swallowed). */
  readonly onEvent?: (event: TlsProxyEvent) => void;
}

export type TlsProxyEvent =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'accepted' }
  | {
      readonly type: 'established';
      readonly pin: PinMatch;
      /** TCP connected → TLS finished and verified. */
      readonly handshakeMs: number;
      /** Dial started → TLS finished and verified (includes the TCP connect). */
      readonly connectMs: number;
      readonly protocol: string;
      readonly cipher: string;
    }
  | { readonly type: 'failed'; readonly code: ErrorCode; readonly details: readonly string[] }
  | { readonly type: 'closed'; readonly summary: TunnelSummary };

export type CloseReason =
  | 'local-ended' // the local client ended its stream first (half-close), then both finished
  | 'gateway-ended' // the gateway ended first
  | 'timeout' // connect, first-byte or half-close timeout
  | 'closed' // close() was called
  | 'error'; // dial, handshake, verification or stream error: see `error`

export interface TunnelSummary {
  readonly reason: CloseReason;
  /** Set when the tunnel failed or never came up. */
  readonly error: ViworksError | undefined;
  /** Plaintext bytes read from the local client and sent towards the gateway. */
  readonly bytesToGateway: number;
  /** Plaintext bytes received from the gateway and written to the local client. */
  readonly bytesFromGateway: number;
}

export interface Established {
  readonly pin: PinMatch;
  readonly handshakeMs: number;
}

/** One local connection carried to the gateway. */
export interface ProxiedConnection {
  /** Resolves once the gateway is verified and bytes flow; rejects with VIW_E_PIN_MISMATCH / VIW_E_TLS_FAILED. */
  readonly ready: Promise<Established>;
  /** Resolves (never rejects) when both sockets are closed. */
  readonly closed: Promise<TunnelSummary>;
  /** Bytes carried so far each way and the last traffic (see KEEPALIVE_MAX_BYTES). */
  traffic(): TrafficCounters;
  close(): void;
}

/** A chunk this small is OpenVPN keepalive-sized: counted, but not activity (see the header). */
export const KEEPALIVE_MAX_BYTES = 48;

export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 15_000;
const DEFAULT_HALF_CLOSE_TIMEOUT_MS = 10_000;
const FQDN_RE = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$/;

/** Refuses options that could not work (VIW_E_VALIDATION) before anything listens or dials. */
export function validate(opts: TlsProxyOptions): void {
  const bad: string[] = [];
  if (!FQDN_RE.test(opts.gatewayHost) || isIP(opts.gatewayHost) !== 0) bad.push('gatewayHost: not an FQDN');
  if (opts.gatewayAddress !== undefined && isIP(opts.gatewayAddress) === 0)
    bad.push('gatewayAddress: not an IP address');
  if (!Number.isInteger(opts.gatewayPort) || opts.gatewayPort < 1 || opts.gatewayPort > 65535)
    bad.push('gatewayPort: out of range');
  if (!opts.caPem.includes('-----BEGIN CERTIFICATE-----')) bad.push('caPem: no certificate');
  if (!(opts.connectTimeoutMs > 0)) bad.push('connectTimeoutMs: must be positive');
  bad.push(...clientIdentityProblems(opts));
  if (bad.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: bad });
  assertPinSet(opts.pins, 'pins');
}

const SAFE_CODE_RE = /^[A-Z0-9_]{1,64}$/;

/** TLS alerts by which a server refuses the client certificate (TLS 1.3: after our Finished). */
const CLIENT_CERT_ALERT_RE =
  /ALERT_(CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE|DECRYPT_ERROR)$/;

/** A stream error: named as a client-certificate refusal when the gateway's alert says so. */
function streamFailed(cause: unknown): ViworksError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const refused = typeof code === 'string' && CLIENT_CERT_ALERT_RE.test(code);
  return tlsFailed(refused ? 'client certificate refused' : 'stream', cause);
}

/**
 * The gateway's key matched neither pin. The error carries the presented pin (SPKI sha256, public:
 * it names the key, not a secret) as `presentedPin`, for the engine's client.pin_mismatch report.
 */
function pinMismatch(presented: string | undefined): ViworksError & { presentedPin?: string } {
  const err = new ViworksError('VIW_E_PIN_MISMATCH', { details: ['verify: leaf key matches neither pin'] });
  return presented === undefined ? err : Object.assign(err, { presentedPin: presented });
}

/** A failure as VIW_E_TLS_FAILED with a detail made of our stage name and a library code only. */
export function tlsFailed(stage: string, cause?: unknown): ViworksError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const safe = typeof code === 'string' && SAFE_CODE_RE.test(code) ? code : 'unknown';
  return new ViworksError('VIW_E_TLS_FAILED', {
    details: [cause === undefined ? stage : `${stage}: ${safe}`],
    cause,
  });
}

/** Tells the observer (TlsProxyOptions.onEvent); its exceptions are swallowed. */
export function safeEmit(opts: TlsProxyOptions, event: TlsProxyEvent): void {
  try {
    opts.onEvent?.(event);
  } catch {
    // A faulty observer must not break the tunnel.
  }
}

/** Promise parts, with rejections pre-handled so a caller that never awaits `ready` cannot crash the daemon. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Opens the connection to the gateway: `connect()` starts one attempt (a tls.connect with the pinned
 * options); a dialer may race several and resolves with the first that connected (fast-dial.ts).
 */
export type GatewayDialer = (connect: () => TLSSocket, signal: AbortSignal) => Promise<TLSSocket>;

/** One attempt, the kernel's SYN retries. */
const dialOnce: GatewayDialer = async (connect) => connect();

/**
 * Carries one accepted local socket to the gateway. The local socket must not be read before this is
 * called (startTlsProxy accepts with pauseOnConnect); nothing is read from it until the gateway passed.
 * `context` is the prebuilt client context (startTlsProxy builds it once); built here if absent.
 */
export function proxyConnection(
  local: Socket,
  opts: TlsProxyOptions,
  context: SecureContext = buildClientContext(opts),
  dial: GatewayDialer = dialOnce,
): ProxiedConnection {
  validate(opts);
  const ready = deferred<Established>();
  const closed = deferred<TunnelSummary>();
  const timers = new Set<NodeJS.Timeout>();
  const timer = (ms: number, fn: () => void) => {
    const t = setTimeout(fn, ms);
    t.unref();
    timers.add(t);
    return t;
  };
  let established = false;
  let finished = false;
  let firstEnd: CloseReason | undefined;
  let match: PinMatch | undefined;
  let tcpAt: number | undefined;
  const dialAt = performance.now();
  let bytesIn = 0;
  let bytesOut = 0;
  let lastActivityMs = dialAt;

  // NODELAY on both sockets, as stunnel does. With Nagle on the local socket, the second of two small
  // writes waits for an ACK the client's kernel delays: ~44 ms per such reply in bench/tls-proxy.
  // Nagle would buy ~10% less CPU per GB on bulk loopback transfers; latency matters more here.
  local.setNoDelay(true);
  local.on('error', () => {}); // reported through whenCarried below (or the teardown)

  const records = recordReader();
  // allowHalfOpen and highWaterMark are honoured by tls.connect (it builds the TLSSocket with them)
  // but missing from @types/node's ConnectionOptions, hence the widened type. `onread` (the
  // gateway's records into one reused buffer, tls-proxy-carry.ts) is why tls.connect itself dials,
  // never given a socket: Node ignores `onread` for a socket it did not connect.
  const tlsOptions: ConnectionOptions & {
    allowHalfOpen: boolean;
    onread: OnReadOpts;
    highWaterMark: number;
  } = {
    host: opts.gatewayAddress ?? opts.gatewayHost,
    port: opts.gatewayPort,
    servername: opts.gatewayHost,
    // TLS 1.3 only, the two suites, the bootstrap's CA as the only anchors, our client certificate
    // (tls-client-context.ts). No session is passed in and the 'session' event is not listened
    // to: tickets die with this socket.
    secureContext: context,
    rejectUnauthorized: true,
    allowHalfOpen: true,
    onread: records.onread,
    highWaterMark: CARRY_HIGH_WATER_MARK,
    // Runs only after OpenSSL verified the chain against `ca`; an Error returned here aborts the
    // handshake before 'secureConnect', so the local stream is never piped to an unpinned peer.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const nameError = checkServerIdentity(opts.gatewayHost, cert);
      if (nameError) return nameError;
      let presented: string | undefined;
      try {
        presented = spkiPinFromCertificate(new X509Certificate(cert.raw));
        match = matchPin(presented, opts.pins);
        return undefined;
      } catch (err) {
        return isViworksError(err, 'VIW_E_PIN_MISMATCH') ? pinMismatch(presented) : tlsFailed('verify', err);
      }
    },
  };
  let upstream: TLSSocket | undefined;
  const dialAbort = new AbortController();

  const teardown = (reason: CloseReason, error?: ViworksError) => {
    if (finished) return;
    finished = true;
    for (const t of timers) clearTimeout(t);
    dialAbort.abort();
    if (!established) {
      const err = error ?? tlsFailed(reason === 'timeout' ? 'timeout' : 'cancelled');
      safeEmit(opts, { type: 'failed', code: err.code, details: err.details });
      ready.reject(err);
      error = err;
    }
    const sockets = upstream ? [local, upstream] : [local];
    let open = sockets.length;
    const onClose = () => {
      if (--open > 0) return;
      const summary: TunnelSummary = {
        reason,
        error,
        bytesToGateway: local.bytesRead,
        bytesFromGateway: local.bytesWritten,
      };
      safeEmit(opts, { type: 'closed', summary });
      closed.resolve(summary);
    };
    for (const s of sockets) {
      if (s.destroyed && s.closed) onClose();
      else {
        s.once('close', onClose);
        s.destroy();
      }
    }
  };

  timer(opts.connectTimeoutMs, () => {
    if (!established) teardown('timeout', tlsFailed('connect: timeout'));
  });
  // If the local client gives up during the dial or handshake, there is nothing left to carry.
  local.once('close', () => {
    if (!established) teardown('closed');
  });
  dial(() => tlsConnect(tlsOptions), dialAbort.signal).then(
    (socket) => {
      if (finished) {
        socket.destroy();
        return;
      }
      upstream = socket;
      handshake(socket);
    },
    (err) => teardown('error', tlsFailed('connect', err)),
  );

  // Attached in the same tick the dialer resolved: its handshake needs a round trip, so no TLS
  // event can have been missed.
  const handshake = (upstream: TLSSocket) => {
    if (upstream.connecting) upstream.once('connect', () => (tcpAt = performance.now()));
    else tcpAt = performance.now();
    upstream.on('error', (err) => {
      // Before the tunnel is up every error is a dial/handshake/verification failure.
      if (!established)
        teardown('error', isViworksError(err) ? err : tlsFailed(tcpAt ? 'handshake' : 'connect', err));
    });
    upstream.once('secureConnect', () => secured(upstream));
  };

  const secured = (upstream: TLSSocket) => {
    // Belt and braces: the options above already make anything else impossible. `match` is also unset
    // if Node skipped checkServerIdentity, which it does for resumed sessions (never offered here).
    if (upstream.getProtocol() !== 'TLSv1.3' || upstream.alpnProtocol || match === undefined) {
      teardown('error', tlsFailed('verify: unexpected session parameters'));
      return;
    }
    const now = performance.now();
    const handshakeMs = now - (tcpAt ?? dialAt);
    established = true;
    upstream.setNoDelay(true);
    safeEmit(opts, {
      type: 'established',
      pin: match,
      handshakeMs,
      connectMs: now - dialAt,
      protocol: 'TLSv1.3',
      cipher: upstream.getCipher().standardName,
    });
    ready.resolve({ pin: match, handshakeMs });
    pump(upstream);
  };

  // Both directions with backpressure (pipe semantics: a full writer pauses its reader,
  // tls-proxy-carry.ts). An end on one side is forwarded as a half-close (TLS close_notify + FIN, or
  // FIN to the local client); the other direction may finish within halfCloseTimeoutMs. Any error
  // tears both sides down.
  const pump = (upstream: TLSSocket) => {
    let open = 2;
    const directionDone = (ended: CloseReason) => (err: NodeJS.ErrnoException | null | undefined) => {
      if (err) return teardown('error', streamFailed(err));
      firstEnd ??= ended;
      if (--open === 0) return teardown(firstEnd);
      timer(opts.halfCloseTimeoutMs ?? DEFAULT_HALF_CLOSE_TIMEOUT_MS, () => teardown('timeout'));
    };
    // Counted as each chunk is carried, so no chunk passes uncounted.
    carryChunks(local, upstream, (n) => {
      bytesOut += n;
      if (n > KEEPALIVE_MAX_BYTES) lastActivityMs = performance.now();
    });
    records.deliverTo(upstream, local, (n) => {
      bytesIn += n;
      if (n > KEEPALIVE_MAX_BYTES) lastActivityMs = performance.now();
    });
    whenCarried(local, upstream, directionDone('local-ended'));
    whenCarried(upstream, local, directionDone('gateway-ended'));
    // Only the silence before the first byte is ours to bound; after it, OpenVPN's own keepalive
    // (ping / ping-restart) decides when a quiet tunnel is dead.
    timer(opts.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS, () => {
      if (local.bytesRead === 0) teardown('timeout');
    });
  };

  return {
    ready: ready.promise,
    closed: closed.promise,
    traffic: () => ({ bytesIn, bytesOut, lastActivityMs }),
    close: () => teardown('closed'),
  };
}
