// The one way Node code talks to the backend: HTTPS with TLS 1.3 only, the chain verified against
// the backend's own root CA (never the system store), the host name checked, AND the server key
// pinned (SPKI, primary + backup, through matchPin) inside checkServerIdentity — so a mismatch
// aborts the handshake before a byte of the request is sent: VIW_E_PIN_MISMATCH, fail closed. SNI
// names the host (not an IP literal). Connect and read timeouts, a reply-size cap. Every request
// carries a fresh `x-trace-id` of ours (the backend logs it as client_trace_id); the reply's own
// trace id is the backend's. Used by the daemon, the CLI's admin commands and the phone simulator.
import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { matchPin, type PinSet, spkiPinFromCertificate } from '../crypto/pins.js';
import { ViworksError } from '../errors/viworks-error.js';
import { BackendClient } from './backend-client.js';
import { readCapped } from './reply.js';
import {
  type BackendRequest,
  type OpenStream,
  TRACE_ID_PATTERN,
  type Transport,
  type TransportReply,
} from './transport.js';

export interface BackendTarget {
  /** https://host[:port] */
  readonly url: string;
  /** The backend's root CA (PEM). */
  readonly caPem: string;
  readonly pins: PinSet;
}

export interface PinnedTransportOptions {
  /** From the TCP connect to the end of the TLS handshake (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Longest silence while waiting for or reading a reply (default 15 s; per request too). */
  readonly timeoutMs?: number;
  /** Largest reply body read (default 1 MiB). */
  readonly maxReplyBytes?: number;
  /**
   * Told the SPKI pin (sha256, base64) of a backend key that matched neither pin, before the
   * handshake is aborted: the daemon reports it (client.pin_mismatch). Its exceptions are ignored.
   */
  readonly onPinMismatch?: (presentedPin: string) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;

/** TLS verification failures that mean "not the server we were told to trust". */
const IDENTITY_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class PinnedTransport implements Transport {
  private readonly base: URL;
  private readonly host: string;

  constructor(
    private readonly target: BackendTarget,
    private readonly o: PinnedTransportOptions = {},
  ) {
    this.base = new URL(target.url);
    if (this.base.protocol !== 'https:') {
      throw new ViworksError('VIW_E_VALIDATION', { details: ['backend url: https only'] });
    }
    this.host = this.base.hostname.replace(/^\[|\]$/g, '');
  }

  get origin(): string {
    return this.base.origin;
  }

  async send(req: BackendRequest): Promise<TransportReply> {
    const open = await this.open(req);
    const body = await readCapped(open.message, this.o.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, () => {
      open.message.destroy();
      return new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['reply too large'] });
    }).catch((err: unknown) => {
      throw transportError(err);
    });
    return { ...open.meta, body };
  }

  async stream(req: BackendRequest): Promise<OpenStream | TransportReply> {
    const open = await this.open(req);
    if (open.meta.status !== 200) {
      const body = await readCapped(open.message, 64 * 1024, () => {
        open.message.destroy();
        return new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['reply too large'] });
      }).catch(() => new Uint8Array());
      return { ...open.meta, body };
    }
    return { chunks: open.message, close: () => open.message.destroy() };
  }

  private open(
    req: BackendRequest,
  ): Promise<{ message: IncomingMessage; meta: Omit<TransportReply, 'body'> }> {
    const ourTrace = randomUUID();
    const headers: Record<string, string> = { ...(req.headers ?? {}), 'x-trace-id': ourTrace };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(req.body.length);
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const r = request(
        {
          host: this.host,
          ...(isIP(this.host) ? {} : { servername: this.host }),
          port: this.base.port || 443,
          path: req.path,
          method: req.method,
          headers,
          ca: this.target.caPem,
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
          agent: false,
          timeout: req.timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          ...(req.signal ? { signal: req.signal } : {}),
          checkServerIdentity: (host: string, cert: PeerCertificate) =>
            checkServerIdentity(host, cert) ?? this.checkPin(cert),
        },
        (message) => {
          const date = message.headers.date ? Date.parse(message.headers.date) : Number.NaN;
          const trace = message.headers['x-trace-id'];
          resolve({
            message,
            meta: {
              status: message.statusCode ?? 0,
              serverDateMs: Number.isFinite(date) ? date : null,
              traceId: typeof trace === 'string' && TRACE_ID_PATTERN.test(trace) ? trace : null,
              elapsedMs: performance.now() - started,
            },
          });
        },
      );
      const connectTimer = setTimeout(
        () => r.destroy(new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['connect timeout'] })),
        this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      r.once('socket', (socket) => {
        socket.once('secureConnect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      r.on('timeout', () =>
        r.destroy(new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['timeout'] })),
      );
      r.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(transportError(err));
      });
      if (req.body === undefined) r.end();
      else sendBodyWhenSecure(r, req.body);
    });
  }

  private checkPin(cert: PeerCertificate): Error | undefined {
    let presented: string | undefined;
    try {
      presented = spkiPinFromCertificate(cert.raw);
      matchPin(presented, this.target.pins);
      return undefined;
    } catch (err) {
      if (presented !== undefined) this.tellMismatch(presented);
      return err instanceof Error ? err : new ViworksError('VIW_E_PIN_MISMATCH');
    }
  }

  private tellMismatch(presented: string): void {
    try {
      this.o.onPinMismatch?.(presented);
    } catch {
      // An observer must not change the verdict: the handshake is refused either way.
    }
  }
}

/**
 * Writes a request body (a password, a code, a token may be in it; call.ts wipes it after) so that
 * no copy of it outlives the call in native memory. Written at once, it would reach the TLS socket
 * while the handshake runs, or beside the headers in one corked write: either way Node copies it
 * into a native buffer (the pending cleartext, or the joined writev) that is freed but never
 * cleared. So the headers go first, and the body alone once the handshake is done: OpenSSL then
 * encrypts it straight from the caller's bytes. `end` follows the write, so no second chunk joins it.
 */
function sendBodyWhenSecure(r: ClientRequest, body: Uint8Array): void {
  r.flushHeaders();
  r.once('socket', (socket) => {
    socket.once('secureConnect', () => {
      r.write(body, () => r.end());
    });
  });
}

export function transportError(err: unknown): ViworksError {
  if (err instanceof ViworksError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (IDENTITY_ERRORS.has(code)) {
    return new ViworksError('VIW_E_PIN_MISMATCH', {
      details: ['server certificate not trusted'],
      cause: err,
    });
  }
  if (code === 'ABORT_ERR' || (err as Error).name === 'AbortError') {
    return new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['aborted'], cause: err });
  }
  return new ViworksError('VIW_E_BACKEND_UNREACHABLE', {
    ...(code ? { details: [code.slice(0, 40)] } : {}),
    cause: err,
  });
}

/** The typed backend client over a pinned transport: what Node callers (the daemon) construct. */
export function pinnedBackendClient(target: BackendTarget, o: PinnedTransportOptions = {}): BackendClient {
  return new BackendClient(new PinnedTransport(target, o));
}
