// JSON bodies are parsed by us so the exact bytes stay available: device signatures cover them.
import type { FastifyInstance } from 'fastify';
import { ViworksError } from '../../core/errors/viworks-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (empty for bodiless requests). */
    rawBody?: Buffer;
  }
}

export function installRawJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      // Strict UTF-8: invalid sequences are refused rather than replaced (lessons.md).
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      done(null, JSON.parse(text));
    } catch {
      done(new ViworksError('VIW_E_MALFORMED_JSON'), undefined);
    }
  });
}
