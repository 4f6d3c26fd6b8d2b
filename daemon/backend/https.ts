// The daemon's HTTPS transport to the backend: TLS 1.3 only, the chain verified against the CA
// recorded at enrollment AND the server key pinned (SPKI primary/backup) inside
// checkServerIdentity, so a mismatch aborts the handshake before a byte of the request is sent:
// VIW_E_PIN_MISMATCH, fail closed, no retry. An untrusted chain is refused the same way. Every
// request carries a fresh `x-trace-id`; non-2xx answers are rebuilt as typed ViworksErrors from
// their `{code, …}` body. Request signing is a callback, so the device key never enters here.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { matchPin, type PinSet, spkiPinFromCertificate } from '../../core/crypto/pins.js';
import type { SignedHeaders } from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export interface BackendTarget {
  /** https://host[:port], from enrollment. */
  readonly url: string;
  /** The backend's root CA (PEM), from enrollment. */
  readonly caPem: string;
  readonly pins: PinSet;
}

/** Signs `method path body` with the device key (request-signing.ts); supplied by the engine. */
export type Signer = (method: string, path: string, body: Uint8Array) => Promise<SignedHeaders>;

export interface SendOptions {
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  readonly signer?: Signer;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface BackendReply {
  readonly status: number;
  readonly body: unknown;
  /** The backend's Date header (ms since epoch), for the clock-skew check. */
  readonly serverDateMs: number | null;
  readonly traceId: string;
  readonly elapsedMs: number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_REPLY_BYTES = 1024 * 1024;

/** TLS verification failures that mean "not the server we enrolled with". */
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

export class PinnedHttps {
  private readonly base: URL;

  constructor(private readonly target: BackendTarget) {
    this.base = new URL(target.url);
    if (this.base.protocol !== 'https:') {
      throw new ViworksError('VIW_E_VALIDATION', { details: ['backend_url: https only'] });
    }
  }

  get url(): string {
    return this.base.origin;
  }

  /** One request; resolves with the parsed 2xx reply, rejects with a typed error. */
  async send(method: string, path: string, o: SendOptions = {}): Promise<BackendReply> {
    const res = await this.open(method, path, o);
    const text = await readBody(res.message);
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (res.status < 200 || res.status >= 300) throw ViworksError.fromBody(body);
    return {
      status: res.status,
      body,
      serverDateMs: res.serverDateMs,
      traceId: res.traceId,
      elapsedMs: res.elapsedMs,
    };
  }

  /** A streaming GET (Server-Sent Events): resolves with the open 200 response, else throws typed. */
  async stream(path: string, o: SendOptions = {}): Promise<IncomingMessage> {
    const res = await this.open('GET', path, o);
    if (res.status === 200) return res.message;
    const text = await readBody(res.message).catch(() => '');
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    throw ViworksError.fromBody(body);
  }

  private async open(method: string, path: string, o: SendOptions) {
    const body = o.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(o.json), 'utf8');
    const traceId = randomUUID();
    const headers: Record<string, string> = { ...(o.headers ?? {}), 'x-trace-id': traceId };
    if (o.signer) Object.assign(headers, await o.signer(method, path, body));
    if (o.json !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    return new Promise<{
      status: number;
      message: IncomingMessage;
      serverDateMs: number | null;
      traceId: string;
      elapsedMs: number;
    }>((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || 443,
          path,
          method,
          headers,
          ca: this.target.caPem,
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
          agent: false,
          timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          ...(o.signal ? { signal: o.signal } : {}),
          checkServerIdentity: (host: string, cert: PeerCertificate) =>
            checkServerIdentity(host, cert) ?? this.checkPin(cert),
        },
        (message) => {
          const date = message.headers.date ? Date.parse(message.headers.date) : Number.NaN;
          // The backend names each request itself (ours is only logged there as client_trace_id).
          const serverTrace = message.headers['x-trace-id'];
          resolve({
            status: message.statusCode ?? 0,
            message,
            serverDateMs: Number.isFinite(date) ? date : null,
            traceId:
              typeof serverTrace === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(serverTrace)
                ? serverTrace
                : traceId,
            elapsedMs: performance.now() - started,
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['timeout'] })),
      );
      req.on('error', (err) => reject(transportError(err)));
      req.end(body);
    });
  }

  private checkPin(cert: PeerCertificate): Error | undefined {
    try {
      matchPin(spkiPinFromCertificate(cert.raw), this.target.pins);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new ViworksError('VIW_E_PIN_MISMATCH');
    }
  }
}

function transportError(err: unknown): ViworksError {
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

async function readBody(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    size += (chunk as Buffer).length;
    if (size > MAX_REPLY_BYTES) {
      message.destroy();
      throw new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['reply too large'] });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
