// The backend's one error handler: every failure leaves as `{ code, message, hint }` with a stable
// VIW_E_ code. Full context goes to the log; 5xx details and stacks never reach the caller.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { viworksErrorFromFastify } from '../../core/errors/from-fastify.js';
import { ViworksError } from '../../core/errors/viworks-error.js';

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const viw = err instanceof ViworksError ? err : viworksErrorFromFastify(err);
    if (viw.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: viw.code }, 'request refused');
    void reply.status(viw.status).send(viw.toBody(request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody(request.id));
  });
}
