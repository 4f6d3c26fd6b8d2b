// One call of a route of the table: the path from routePath(), the JSON body as exact bytes (a
// signer signs those bytes), the transport's reply read by readReply(). Both typed clients
// (backend-client.ts, admin-client.ts) make every call through here.
import { type BackendRoute, routePath } from '../api/backend-routes.js';
import type { SignedHeaders } from '../crypto/request-signing.js';
import { errorFromReply, type ReplyOf, readReply } from './reply.js';
import { isOpenStream, type OpenStream, type Transport, type TransportReply } from './transport.js';

/** Signs `method path body` with a device or phone key (core/crypto/request-signing.ts). */
export type Signer = (
  method: string,
  path: string,
  body: Uint8Array,
) => Promise<SignedHeaders> | SignedHeaders;

export interface CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signer?: Signer;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface Called<T> {
  readonly value: T;
  readonly reply: TransportReply;
}

async function buildRequest(route: BackendRoute, o: CallOptions) {
  const path = routePath(route, o.params, o.query);
  const body = o.json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(o.json));
  const signed = o.signer ? await o.signer(route.method, path, body ?? new Uint8Array()) : {};
  return {
    method: route.method,
    path,
    ...(body ? { body } : {}),
    headers: { accept: 'application/json', ...(o.headers ?? {}), ...signed },
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

export async function callRoute<R extends BackendRoute>(
  transport: Transport,
  route: R,
  o: CallOptions = {},
): Promise<Called<ReplyOf<R>>> {
  const reply = await transport.send(await buildRequest(route, o));
  return { value: readReply(route, reply), reply };
}

/** Opens a streaming route (`produces: 'sse'`); an error answer throws its typed error. */
export async function openRoute(
  transport: Transport,
  route: BackendRoute,
  o: CallOptions = {},
): Promise<OpenStream> {
  const opened = await transport.stream(await buildRequest(route, o));
  if (isOpenStream(opened)) return opened;
  throw errorFromReply(opened);
}
