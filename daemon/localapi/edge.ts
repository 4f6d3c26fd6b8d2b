// The local API's edge, applied to every request before any handler: browsers are refused
// (a request with Origin, Referer or Fetch-Metadata headers is VIW_E_ORIGIN_REFUSED — a web page
// must never drive the daemon), JSON is parsed strictly (invalid UTF-8 refused) with its secret
// fields lifted out as bytes (secret-fields.ts), every answer
// carries the daemon and API version headers, and every failure leaves as
// `{code, message, hint, trace_id}` — also Fastify's routing errors and Node's connection-level
// ones (LOCAL_EDGE_LIMITS, set in server.ts), never echoing the request's URL or body.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DAEMON_VERSION_HEADER, LOCAL_API_VERSION, LOCAL_API_VERSION_HEADER } from '../../core/api/local.js';
import { secretBytes } from '../../core/crypto/bytes.js';
import { viworksErrorFromFastify } from '../../core/errors/from-fastify.js';
import { isClientAbort } from '../../core/errors/http-edge.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { liftSecretFields, wipeLifted } from '../../core/secrets/lift-secret-fields.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { SECRET_FIELD_DUMMIES } from './secret-fields.js';

const BROWSER_HEADERS = ['origin', 'referer', 'sec-fetch-site', 'sec-fetch-mode'] as const;

export function versionHeaders(daemonVersion: string): Record<string, string> {
  return {
    [DAEMON_VERSION_HEADER]: daemonVersion,
    [LOCAL_API_VERSION_HEADER]: String(LOCAL_API_VERSION),
    'cache-control': 'no-store',
  };
}

export function installEdge(
  app: FastifyInstance,
  daemonVersion: string,
  log: DaemonLog,
  bodyLimit: number,
): void {
  const headers = versionHeaders(daemonVersion);
  app.addHook('onRequest', async (request) => {
    if (BROWSER_HEADERS.some((h) => request.headers[h] !== undefined)) {
      log.warn(`localapi: refused a browser-style request to ${request.routeOptions.url ?? 'unknown route'}`);
      throw new ViworksError('VIW_E_ORIGIN_REFUSED');
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(headers);
  });

  app.decorateRequest('secretFields', null);
  app.removeContentTypeParser('application/json');
  // Read from the raw stream, not with `parseAs: 'buffer'`: each chunk Node's HTTP parser hands
  // over is a fresh copy of the bytes read from the socket, and only here can it be zeroed once
  // copied, before it is freed (a password found in the daemon's freed heap showed why).
  app.addContentTypeParser('application/json', (request, payload, done) => {
    readWiping(payload, bodyLimit).then(
      (body) => {
        // The secret fields come out as wipeable bytes (secret-fields.ts); the body is zeroed after.
        try {
          const lifted = liftSecretFields(body, SECRET_FIELD_DUMMIES);
          request.secretFields = lifted.secrets;
          done(null, lifted.value);
        } catch {
          done(new ViworksError('VIW_E_MALFORMED_JSON'), undefined);
        } finally {
          body.fill(0);
        }
      },
      (err: Error) => done(err, undefined),
    );
  });
  // Every request's secrets are wiped when it ends, whatever the handler did (the handlers also
  // drop them as soon as the backend call is made: engine/login.ts, engine/enroll.ts).
  app.addHook('onResponse', async (request) => {
    wipeLifted(request.secretFields);
  });

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isClientAbort(err, request.raw)) {
      log.debug(`localapi: client went away (${err.code ?? err.name})`);
      return;
    }
    const viw = err instanceof ViworksError ? err : viworksErrorFromFastify(err);
    if (viw.status >= 500 && !(err instanceof ViworksError))
      log.error(`localapi: internal error (${err.name}, trace ${request.id})`);
    void reply.status(viw.status).send(viw.toBody(request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody(request.id));
  });
}

/**
 * A request body read chunk by chunk into one secretBytes buffer (grown by copying, the old one
 * zeroed), each chunk zeroed as soon as it is copied. Over `limit` bytes: VIW_E_BODY_TOO_LARGE
 * (the rest is still read, and zeroed, so the connection stays usable for the answer).
 */
function readWiping(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let out = secretBytes(1024);
    let length = 0;
    let failed: Error | null = null;
    stream.on('data', (chunk: Buffer) => {
      if (!failed && length + chunk.length > limit) {
        failed = new ViworksError('VIW_E_BODY_TOO_LARGE');
        out.fill(0);
        reject(failed);
      }
      if (!failed) {
        if (length + chunk.length > out.length) {
          const grown = secretBytes(Math.min(limit, Math.max(out.length * 2, length + chunk.length)));
          out.copy(grown, 0, 0, length);
          out.fill(0);
          out = grown;
        }
        chunk.copy(out, length);
        length += chunk.length;
      }
      chunk.fill(0);
    });
    let ended = false;
    stream.once('end', () => {
      ended = true;
      if (!failed) resolve(out.subarray(0, length));
    });
    // A client that goes away mid-body: whatever arrived is zeroed, the request is over.
    stream.once('close', () => {
      if (ended || failed) return;
      out.fill(0);
      failed = new ViworksError('VIW_E_MALFORMED_JSON');
      reject(failed);
    });
    stream.once('error', (err: Error) => {
      out.fill(0);
      if (!failed) reject(err);
      failed = err;
    });
  });
}
