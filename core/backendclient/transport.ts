// How a typed backend client reaches the backend. Two implementations: the pinned Node transport
// (pinned-transport.ts: the daemon, the CLI, the phone simulator) and the browser's same-origin
// fetch (fetch-transport.ts: the admin panel and the phone app). Clients build the request from the
// route table (core/api/backend-routes.ts) and read the reply with reply.ts; a transport only moves
// bytes, and turns its own failures into ViworksErrors (unreachable, pin mismatch, too large).

export interface BackendRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, built by routePath(). */
  readonly path: string;
  /** The exact JSON bytes sent (signed requests sign these bytes). */
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** Read timeout; the transport's default otherwise. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface TransportReply {
  readonly status: number;
  /** The whole body, at most the transport's reply cap. */
  readonly body: Uint8Array;
  /** The backend's Date header (ms since epoch), for the clock-skew check. */
  readonly serverDateMs: number | null;
  /** The backend's own trace id for this request (`x-trace-id`), when it sent a well-formed one. */
  readonly traceId: string | null;
  readonly elapsedMs: number;
}

/** An open stream (Server-Sent Events): chunks until the server or `close()` ends it. */
export interface OpenStream {
  readonly chunks: AsyncIterable<Uint8Array>;
  close(): void;
}

export interface Transport {
  /** The backend's origin (https://host[:port]). */
  readonly origin: string;
  send(request: BackendRequest): Promise<TransportReply>;
  /** Opens a streaming GET; a non-200 answer is read whole and returned as a reply instead. */
  stream(request: BackendRequest): Promise<OpenStream | TransportReply>;
}

/** Trace ids the backend writes: anything else in the header is ignored. */
export const TRACE_ID_PATTERN = /^[A-Za-z0-9-]{8,64}$/;

export function isOpenStream(x: OpenStream | TransportReply): x is OpenStream {
  return 'chunks' in x;
}
