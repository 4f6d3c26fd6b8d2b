// One call of a route of the table: the path from routePath(), the JSON body as exact bytes (a
// signer signs those bytes; a SecretText in it is written from its bytes and the body wiped after),
// the transport's reply read by readReply(). Both typed clients (backend-client.ts,
// admin-client.ts) make every call through here.
import { type BackendRoute, routePath } from '../api/backend-routes.js';
import type { SignedHeaders } from '../crypto/request-signing.js';
import { encodeJsonWithSecrets } from '../secrets/secret-text.js';
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

async function buildRequest(route: BackendRoute, o: CallOptions, body: Uint8Array | undefined) {
  const path = routePath(route, o.params, o.query);
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

/**
 * Runs `send` with the JSON body's bytes. A body that carries a SecretText (a password, a code) is
 * written from the secret's bytes (core/secrets) and zeroed once the call is over, whatever its
 * outcome: by then the transport has handed it to the socket.
 */
async function withBody<T>(o: CallOptions, send: (body: Uint8Array | undefined) => Promise<T>): Promise<T> {
  const encoded = o.json === undefined ? undefined : encodeJsonWithSecrets(o.json);
  try {
    return await send(encoded?.bytes);
  } finally {
    if (encoded?.secret) encoded.bytes.fill(0);
  }
}

export async function callRoute<R extends BackendRoute>(
  transport: Transport,
  route: R,
  o: CallOptions = {},
): Promise<Called<ReplyOf<R>>> {
  const reply = await withBody(o, async (body) => transport.send(await buildRequest(route, o, body)));
  return { value: readReply(route, reply), reply };
}

/** Opens a streaming route (`produces: 'sse'`); an error answer throws its typed error. */
export async function openRoute(
  transport: Transport,
  route: BackendRoute,
  o: CallOptions = {},
): Promise<OpenStream> {
  const opened = await withBody(o, async (body) => transport.stream(await buildRequest(route, o, body)));
  if (isOpenStream(opened)) return opened;
  throw errorFromReply(opened);
}
