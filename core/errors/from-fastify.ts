// Fastify's own failures (schema validation, body parsing, size limits) as stable VIW_E_ errors,
// for every HTTP edge that runs Fastify (the backend and the daemon's local API). Only Fastify's
// types are imported, so core stays free of it at run time.
import type { FastifyError } from 'fastify';
import { ViworksError } from './viworks-error.js';

/** Bounds a detail line: paths can carry attacker-chosen property names. */
const MAX_DETAIL_CHARS = 160;

export function viworksErrorFromFastify(err: FastifyError): ViworksError {
  if (err.validation) {
    const unknown = err.validation.some((v) => v.keyword === 'additionalProperties');
    // Paths and rule names only; never the offending value (it may be a password).
    const details = err.validation
      .slice(0, 10)
      .map((v) =>
        `${err.validationContext ?? 'body'}${v.instancePath || '/'}: ${v.message ?? 'invalid'}`.slice(
          0,
          MAX_DETAIL_CHARS,
        ),
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
      break;
  }
  if (err.statusCode === 429) return new ViworksError('VIW_E_RATE_LIMITED');
  return new ViworksError('VIW_E_INTERNAL', { cause: err });
}
