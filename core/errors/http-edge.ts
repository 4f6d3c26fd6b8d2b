// What every HTTP edge that runs Fastify (the backend and the daemon's local API) needs so that no
// failure leaves outside the one error shape `{code, message, hint, trace_id}`:
// - `frameworkErrors`: Fastify answers a bad percent-encoding or an over-long path parameter
//   itself, before routing, with its own body and the URL echoed back; this routes them through
//   the catalogue instead, and never names the URL.
// - `clientErrorHandler`: Node's HTTP parser and its timeouts (headers, whole request) fail a
//   connection before any request object exists; this writes the error body straight to the socket
//   and closes it.
// Only Fastify's types are imported, so core stays free of it at run time.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from './catalogue.js';
import { ViworksError } from './viworks-error.js';

/**
 * How often Node looks for requests past their header / whole-request timeouts (its default is
 * 30 s, which would let a stalled request live that much longer): a fraction of the shorter one.
 */
export function connectionsCheckingIntervalMs(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)));
}

/** Headers every edge answer carries (version headers, `cache-control: no-store`). */
export type EdgeHeaders = Readonly<Record<string, string>>;

/** Fastify's routing-time failures, as catalogue errors whose details never carry the URL. */
export function viworksErrorFromFramework(err: FastifyError): ViworksError {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return new ViworksError('VIW_E_BAD_REQUEST', { details: ['the path is not valid percent-encoding'] });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ViworksError('VIW_E_BAD_REQUEST', { details: ['a path parameter is too long'] });
    default:
      return new ViworksError('VIW_E_INTERNAL', { cause: err });
  }
}

/** Fastify's `frameworkErrors` option for an edge. `traceId` names the request in the body. */
export function frameworkErrorHandler(
  headers: EdgeHeaders,
  traceId: (request: FastifyRequest) => string | undefined,
  log: (code: ErrorCode, err: FastifyError) => void,
) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const viw = viworksErrorFromFramework(err);
    log(viw.code, err);
    void reply
      .status(viw.status)
      .headers({ ...headers, 'content-type': 'application/json; charset=utf-8' })
      .send(viw.toBody(traceId(request)));
  };
}

/** The catalogue code for an error Node's HTTP server raises on a connection. */
export function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'VIW_E_REQUEST_TIMEOUT';
    case 'HPE_HEADER_OVERFLOW':
      return 'VIW_E_HEADERS_TOO_LARGE';
    default:
      return 'VIW_E_BAD_REQUEST';
  }
}

/** A whole HTTP/1.1 error response (the connection closes after it). */
export function rawErrorResponse(viw: ViworksError, traceId: string, headers: EdgeHeaders): string {
  const body = JSON.stringify(viw.toBody(traceId));
  const lines = [
    `HTTP/1.1 ${viw.status} ${STATUS_CODES[viw.status] ?? 'Error'}`,
    ...Object.entries({
      ...headers,
      'x-trace-id': traceId,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Socket internals Node's own default handler consults: an answer already under way. */
interface HttpSocket extends Socket {
  readonly _httpMessage?: { readonly headersSent?: boolean } | null;
}

/**
 * Fastify's `clientErrorHandler` for an edge. A reset or a destroyed socket gets nothing; an answer
 * already under way is never corrupted by a second one (as in Node's default handler). `log`
 * receives the code only: the failed bytes may hold anything.
 */
export function clientErrorHandler(headers: EdgeHeaders, log: (code: ErrorCode, err: Error) => void) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const code = clientErrorCode(err);
    log(code, err);
    const inFlight = (socket as HttpSocket)._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.write(rawErrorResponse(new ViworksError(code), randomUUID(), headers));
    }
    socket.destroy();
  };
}

const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * A request that failed because its client went away (hung up mid-body, reset the connection):
 * nothing to answer and nothing wrong here — worth an info line, never an error with a stack.
 */
export function isClientAbort(
  err: { code?: string },
  raw: { aborted?: boolean; destroyed?: boolean },
): boolean {
  return raw.aborted === true || (err.code !== undefined && ABORT_CODES.has(err.code));
}
