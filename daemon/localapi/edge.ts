// The local API's edge, applied to every request before any handler: browsers are refused
// (a request with Origin, Referer or Fetch-Metadata headers is VIW_E_ORIGIN_REFUSED — a web page
// must never drive the daemon), JSON is parsed strictly (invalid UTF-8 refused), every answer
// carries the daemon and API version headers, and every failure leaves as
// `{code, message, hint, trace_id}` — also Fastify's routing errors and Node's connection-level
// ones (LOCAL_EDGE_LIMITS, set in server.ts), never echoing the request's URL or body.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DAEMON_VERSION_HEADER, LOCAL_API_VERSION, LOCAL_API_VERSION_HEADER } from '../../core/api/local.js';
import { viworksErrorFromFastify } from '../../core/errors/from-fastify.js';
import { isClientAbort } from '../../core/errors/http-edge.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { DaemonLog } from '../log/daemon-log.js';

const BROWSER_HEADERS = ['origin', 'referer', 'sec-fetch-site', 'sec-fetch-mode'] as const;

export function versionHeaders(daemonVersion: string): Record<string, string> {
  return {
    [DAEMON_VERSION_HEADER]: daemonVersion,
    [LOCAL_API_VERSION_HEADER]: String(LOCAL_API_VERSION),
    'cache-control': 'no-store',
  };
}

export function installEdge(app: FastifyInstance, daemonVersion: string, log: DaemonLog): void {
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

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      // An own `__proto__` key stays a plain key, and the closed schemas refuse it as unknown.
      done(null, JSON.parse(text));
    } catch {
      done(new ViworksError('VIW_E_MALFORMED_JSON'), undefined);
    }
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
