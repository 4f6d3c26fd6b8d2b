// JSON over HTTPS to the ViWorkS backend the way every client must talk to it: TLS 1.3 only, the
// chain verified against the backend's own root CA (not the system store) AND the server key pinned
// (SPKI, primary + backup, compared in constant time). Anything else fails closed.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { matchPin, type PinSet, spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { isViworksError, ViworksError } from '../../core/errors/viworks-error.js';
import { CliError, withTraceId } from './output.js';

/** Where the backend is and how to recognise it. Not secret; stored beside an admin session. */
export interface BackendTrust {
  readonly backend_url: string;
  readonly ca_pem: string;
  readonly pins: PinSet;
}

export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

const MAX_REPLY_BYTES = 4 * 1024 * 1024;
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|ERR_TLS/;

function transportError(err: unknown): ViworksError {
  if (isViworksError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CERT_ERRORS.test(code)) {
    // As the daemon does (daemon/backend/https.ts): not the server we were told to trust.
    return new CliError('VIW_E_PIN_MISMATCH', {
      message: 'The backend certificate is not trusted by the configured CA',
      hint: 'Check --ca (the backend root CA) and that the URL names the backend; do not continue otherwise.',
      details: [code.slice(0, 40)],
    });
  }
  return new CliError('VIW_E_BACKEND_UNREACHABLE', {
    ...(typeof code === 'string' ? { details: [code.slice(0, 40)] } : {}),
  });
}

/** One request; 2xx resolves with the parsed body, anything else rejects with the typed error. */
export function pinnedJsonRequest(
  trust: BackendTrust,
  method: 'GET' | 'POST',
  path: string,
  opts: { json?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<JsonReply> {
  const base = new URL(trust.backend_url);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const traceId = randomUUID();
  const body = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json), 'utf8');
  const headers: Record<string, string> = { 'x-trace-id': traceId, ...(opts.headers ?? {}) };
  if (body) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        ...(isIP(host) ? {} : { servername: host }),
        port: base.port || 443,
        path,
        method,
        headers,
        ca: trust.ca_pem,
        minVersion: 'TLSv1.3',
        timeout: opts.timeoutMs ?? 30_000,
        agent: false,
        checkServerIdentity: (name: string, cert: PeerCertificate) => {
          const wrongName = checkServerIdentity(name, cert);
          if (wrongName) return wrongName;
          try {
            matchPin(spkiPinFromCertificate(cert.raw), trust.pins);
            return undefined;
          } catch (err) {
            return err as Error;
          }
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES)
            req.destroy(new CliError('VIW_E_INTERNAL', { message: 'Reply too large' }));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          const status = res.statusCode ?? 0;
          const replyTrace =
            typeof res.headers['x-trace-id'] === 'string' ? res.headers['x-trace-id'] : traceId;
          if (status >= 200 && status < 300) resolve({ status, body: parsed });
          else reject(withTraceId(ViworksError.fromBody(parsed), replyTrace));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new CliError('VIW_E_BACKEND_UNREACHABLE', { details: ['timed out'] })),
    );
    req.on('error', (err) => reject(withTraceId(transportError(err), traceId)));
    req.end(body);
  });
}
