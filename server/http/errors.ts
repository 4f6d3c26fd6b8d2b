// The backend's one error edge: every failure leaves as `{ code, message, hint, trace_id }` with a
// stable VIW_E_ code and `cache-control: no-store` — handler errors, Fastify's own routing errors
// (bad URL, long parameter) and Node's connection-level ones (timeouts, oversized headers). Full
// context goes to the log; 5xx details and stacks never reach the caller, and no answer echoes the
// request's URL or body. A client that hung up is logged at info, without a stack.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { viworksErrorFromFastify } from '../../core/errors/from-fastify.js';
import { type EdgeHeaders, isClientAbort } from '../../core/errors/http-edge.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isClientAbort(err, request.raw)) {
      request.log.info({ code: err.code }, 'client aborted the request');
      return;
    }
    const viw = err instanceof ViworksError ? err : viworksErrorFromFastify(err);
    if (viw.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: viw.code }, 'request refused');
    void reply.status(viw.status).send(viw.toBody(request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody(request.id));
  });
}

/** The headers every backend answer carries, also those written before Fastify sees a request. */
export function backendEdgeHeaders(version: string): EdgeHeaders {
  return { 'viworks-version': version, 'cache-control': 'no-store' };
}
