// Trace ids: the backend names every request itself. A caller's `x-trace-id` never becomes the
// request's id (nor the audit's `trace_id`): one client could otherwise blur another's correlation
// by reusing its id. A well-formed one is kept apart, as `client_trace_id` on the request's log
// lines, so a client's own logs can still be matched with ours; the reply's `x-trace-id` is ours.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const TRACE_RE = /^[A-Za-z0-9-]{8,64}$/;

/** A fresh id for every request (Fastify's `genReqId`). */
export function traceIdFor(_req: IncomingMessage): string {
  return randomUUID();
}

/** The caller's own trace id when well formed, else null (it is never trusted for anything). */
export function clientTraceId(req: IncomingMessage): string | null {
  const header = req.headers['x-trace-id'];
  return typeof header === 'string' && TRACE_RE.test(header) ? header : null;
}
