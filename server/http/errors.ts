// The backend's one error handler: every failure leaves as `{ code, message, hint }` with a stable
// VIW_E_ code. Full context goes to the log; 5xx details and stacks never reach the caller.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ViworksError } from '../../core/errors/viworks-error.js';

function fromFastify(err: FastifyError): ViworksError {
  if (err.validation) {
    const unknown = err.validation.some((v) => v.keyword === 'additionalProperties');
    const details = err.validation
      .slice(0, 10)
      .map((v) => `${err.validationContext ?? 'body'}${v.instancePath || '/'}: ${v.message ?? 'invalid'}`);
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
      break;
  }
  if (err.statusCode === 429) return new ViworksError('VIW_E_RATE_LIMITED');
  return new ViworksError('VIW_E_INTERNAL', { cause: err });
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const viw = err instanceof ViworksError ? err : fromFastify(err);
    if (viw.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: viw.code }, 'request refused');
    void reply.status(viw.status).send(viw.toBody(request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new ViworksError('VIW_E_NOT_FOUND').toBody(request.id));
  });
}
