// The backend's one error edge: every failure leaves as `{ code, message, hint, trace_id }` with a
// stable VIW_E_ code and `cache-control: no-store` — handler errors, Fastify's own routing errors
// (bad URL, long parameter) and Node's connection-level ones (timeouts, oversized headers). Full
// context goes to the log; 5xx details and stacks never reach the caller, and no answer echoes the
// request's URL or body. A client that hung up is logged at info, without a stack. A 5xx answer
// carries only code, message, hint and trace id: its details (which node, which step) go to the log.
// 404s count against a per-address limit like every unauthenticated entry point.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { viworksErrorFromFastify } from '../../core/errors/from-fastify.js';
import { type EdgeHeaders, isClientAbort } from '../../core/errors/http-edge.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export function installErrorHandlers(
  app: FastifyInstance,
  limitNotFound: (request: FastifyRequest) => Promise<void> = async () => undefined,
): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isClientAbort(err, request.raw)) {
      request.log.info({ code: err.code }, 'client aborted the request');
      return;
    }
    const viw = err instanceof ViworksError ? err : viworksErrorFromFastify(err);
    if (viw.status >= 500) {
      request.log.error({ err, code: viw.code, details: viw.details }, 'request failed');
      void reply.status(viw.status).send(new ViworksError(viw.code).toBody(request.id));
      return;
    }
    request.log.info({ code: viw.code }, 'request refused');
    void reply.status(viw.status).send(viw.toBody(request.id));
  });
  app.setNotFoundHandler({ preHandler: limitNotFound }, (request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody(request.id));
  });
}

/** The headers every backend answer carries, also those written before Fastify sees a request. */
export function backendEdgeHeaders(version: string): EdgeHeaders {
  return { 'viworks-version': version, 'cache-control': 'no-store' };
}
