// The one reply reader of every typed client (backend and local API): read a body with a size cap,
// parse it as strict JSON, turn an error answer into the catalogue's ViworksError, and check a
// success answer against the route's schema before anyone uses it. A reply that does not match the
// contract is a version mismatch or a broken server: VIW_E_INTERNAL, never a guess.
import type { Static, TSchema } from 'typebox';
import type { BackendRoute } from '../api/backend-routes.js';
import { ViworksError } from '../errors/viworks-error.js';
import { cachedValidator } from '../schema/strict.js';
import type { TransportReply } from './transport.js';

/** Reads a whole byte stream, refusing more than `cap` bytes (`onOverflow` says why). */
export async function readCapped(
  chunks: AsyncIterable<Uint8Array | string>,
  cap: number,
  onOverflow: () => ViworksError,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    size += bytes.length;
    if (size > cap) throw onOverflow();
    parts.push(bytes);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Strict UTF-8 JSON, or null when the body is empty or not JSON (error bodies may be anything). */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
}

/** The typed error an answer outside 2xx carries (unknown codes become VIW_E_INTERNAL). */
export function errorFromReply(reply: Pick<TransportReply, 'body' | 'traceId'>): ViworksError {
  const err = ViworksError.fromBody(parseJsonBytes(reply.body));
  if (reply.traceId) err.traceId = reply.traceId;
  return err;
}

export type ReplyOf<R extends BackendRoute> =
  R['response'] extends Readonly<Record<number, infer S>> ? (S extends TSchema ? Static<S> : never) : null;

/**
 * The value of a success answer, checked against the schema the route declares for its status.
 * A status the route does not declare, or a body that does not match, is VIW_E_INTERNAL.
 */
export function readReply<R extends BackendRoute>(route: R, reply: TransportReply): ReplyOf<R> {
  if (reply.status < 200 || reply.status >= 300) throw errorFromReply(reply);
  const schema = route.response?.[reply.status];
  const what = `${route.method} ${route.path}`;
  if (!schema) {
    throw new ViworksError('VIW_E_INTERNAL', { details: [`${what}: unexpected status ${reply.status}`] });
  }
  const value = parseJsonBytes(reply.body);
  if (!cachedValidator(schema).check(value)) {
    throw new ViworksError('VIW_E_INTERNAL', { details: [`${what}: reply does not match the contract`] });
  }
  return value as ReplyOf<R>;
}
