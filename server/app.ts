// Builds the Fastify application: HTTPS (TLS 1.3) only, strict schemas (unknown fields rejected, no
// type coercion), small bodies, one error shape, OpenAPI generated from the route schemas.
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { clientErrorHandler, frameworkErrorHandler } from '../core/errors/http-edge.js';
import { EDGE_LIMITS, type EdgeLimits, installPendingCaps, serverTimeouts } from './http/edge-limits.js';
import { backendEdgeHeaders, installErrorHandlers } from './http/errors.js';
import { installRawJsonParser } from './http/raw-json.js';
import { BackendRouteTable } from './http/route-table.js';
import { backendTlsOptions } from './http/tls.js';
import { clientTraceId, traceIdFor } from './http/trace-id.js';
import { VERSION } from './version.js';

export interface AppOptions {
  readonly tls: { readonly chainPem: string; readonly keyPem: string };
  readonly logLevel: string;
  /** Registers the feature plugins: every entry of BACKEND_ROUTES but health and openapi. */
  readonly register: (app: FastifyInstance, routes: BackendRouteTable) => Promise<void>;
  readonly logStream?: NodeJS.WritableStream;
  /** Counts a 404 against the caller's address (throws VIW_E_RATE_LIMITED past the limit). */
  readonly limitNotFound?: (request: FastifyRequest) => Promise<void>;
  /** Edge timeouts and caps (tests shorten them); EDGE_LIMITS otherwise. */
  readonly limits?: EdgeLimits;
}

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildApp(opts: AppOptions) {
  const limits = opts.limits ?? EDGE_LIMITS;
  const timeouts = serverTimeouts(limits);
  const edgeHeaders = backendEdgeHeaders(VERSION);
  // Set once the logger exists: connection-level errors arrive before any request does.
  let connectionLog: (code: string) => void = () => undefined;
  const app = Fastify({
    https: { ...backendTlsOptions(opts.tls.chainPem, opts.tls.keyPem), ...timeouts.https },
    ...timeouts.fastify,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: traceIdFor,
    requestIdHeader: false,
    frameworkErrors: frameworkErrorHandler(
      edgeHeaders,
      (request) => request.id,
      (code) => connectionLog(code),
    ),
    clientErrorHandler: clientErrorHandler(edgeHeaders, (code) => connectionLog(code)),
    logger: {
      level: opts.logLevel,
      // Belt and braces: no route logs bodies, but if one ever did, these never leave the process.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          '*.password',
          '*.current_password',
          '*.new_password',
          '*.password_token',
          '*.otp_code',
          '*.token',
          '*.integrity_token',
        ],
        censor: '[redacted]',
      },
      // stdout belongs to the start banner (and --json output); logs go to stderr.
      stream: opts.logStream ?? process.stderr,
    },
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        // Tagged unions (core/schema/strict.ts taggedUnion) are checked against their own branch only.
        discriminator: true,
      },
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  connectionLog = (code) => app.log.info({ code }, 'refused at the edge');

  app.addHook('onRequest', async (request) => {
    const theirs = clientTraceId(request.raw);
    if (theirs) request.log = request.log.child({ client_trace_id: theirs });
  });
  installPendingCaps(app, limits);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-trace-id', request.id);
    reply.header('viworks-version', VERSION);
    reply.header('cache-control', 'no-store');
  });
  installErrorHandlers(app, opts.limitNotFound);
  installRawJsonParser(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ViWorkS backend API', version: VERSION },
    },
  });
  // Every route comes from the one table (core/api/backend-routes.ts); start-up fails on a route
  // outside it, a duplicate, or an entry without a handler.
  const routes = new BackendRouteTable(app);
  routes.handle(app, 'health', async () => ({ status: 'ok' as const, version: VERSION }));
  await opts.register(app, routes);
  routes.handle(app, 'openapi', async () => app.swagger());
  routes.assertComplete();
  return app;
}
