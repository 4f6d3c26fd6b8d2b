// The local API's edge, applied to every request before any handler: browsers are refused
// (a request with Origin, Referer or Fetch-Metadata headers is VIW_E_ORIGIN_REFUSED — a web page
// must never drive the daemon), JSON is parsed strictly (invalid UTF-8 refused), every answer
// carries the daemon and API version headers, and every failure leaves as `{code, message, hint}`.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DAEMON_VERSION_HEADER, LOCAL_API_VERSION, LOCAL_API_VERSION_HEADER } from '../../core/api/local.js';
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

  app.setErrorHandler((err: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const viw = err instanceof ViworksError ? err : fromFastify(err);
    if (viw.status >= 500 && !(err instanceof ViworksError))
      log.error(`localapi: internal error (${err.name})`);
    void reply.status(viw.status).send(viw.toBody());
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody());
  });
}

function fromFastify(err: FastifyError): ViworksError {
  if (err.validation) {
    const unknown = err.validation.some((v) => v.keyword === 'additionalProperties');
    // Paths and rule names only; never the offending value (it may be a password).
    const details = err.validation
      .slice(0, 10)
      .map((v) =>
        `${err.validationContext ?? 'body'}${v.instancePath || '/'}: ${v.message ?? 'invalid'}`.slice(0, 160),
      );
    return new ViworksError(unknown ? 'VIW_E_UNKNOWN_FIELD' : 'VIW_E_VALIDATION', { details });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ViworksError('VIW_E_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ViworksError('VIW_E_MALFORMED_JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ViworksError('VIW_E_VALIDATION', { details: ['unsupported content type or length'] });
    default:
      return new ViworksError('VIW_E_INTERNAL', { cause: err });
  }
}
