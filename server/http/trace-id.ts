import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const TRACE_RE = /^[A-Za-z0-9-]{8,64}$/;

/** Uses the client's `x-trace-id` when well formed (desktop-client §2.1), otherwise a fresh one. */
export function traceIdFor(req: IncomingMessage): string {
  const header = req.headers['x-trace-id'];
  return typeof header === 'string' && TRACE_RE.test(header) ? header : randomUUID();
}
