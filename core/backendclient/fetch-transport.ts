// The browser's transport: same-origin `fetch`, for the admin panel and the phone app served by
// the backend itself. The browser's own TLS stack checks the certificate (a page can pin nothing);
// what this adds is the same contract as the Node transport: a read timeout, a reply-size cap,
// the backend's trace id, and failures as ViworksErrors. Uses only web-platform APIs (no Node).
import { ViworksError } from '../errors/viworks-error.js';
import { readCapped } from './reply.js';
import {
  type BackendRequest,
  type OpenStream,
  TRACE_ID_PATTERN,
  type Transport,
  type TransportReply,
} from './transport.js';

export interface FetchTransportOptions {
  /** The backend's origin; default the page's own (same-origin only). */
  readonly origin?: string;
  readonly timeoutMs?: number;
  readonly maxReplyBytes?: number;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;

/** The body as chunks; a reader that stops early (cap, close) cancels the rest of the body. */
async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export class FetchTransport implements Transport {
  readonly origin: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: FetchTransportOptions = {}) {
    const here = (globalThis as { location?: { origin?: string } }).location?.origin;
    const origin = o.origin ?? here;
    if (!origin) throw new ViworksError('VIW_E_VALIDATION', { details: ['origin: none given and no page'] });
    this.origin = origin;
    this.fetchImpl = o.fetch ?? fetch.bind(globalThis);
  }

  async send(req: BackendRequest): Promise<TransportReply> {
    const { res, meta, done } = await this.open(req);
    try {
      const body = await readCapped(
        bodyChunks(res),
        this.o.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES,
        () => new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['reply too large'] }),
      ).catch((err: unknown) => {
        if (err instanceof ViworksError) throw err;
        throw new ViworksError('VIW_E_BACKEND_UNREACHABLE', { details: ['reply cut off'], cause: err });
      });
      return { ...meta, body };
    } finally {
      done();
    }
  }

  async stream(req: BackendRequest): Promise<OpenStream | TransportReply> {
    const controller = new AbortController();
    const { res, meta } = await this.open({ ...req, timeoutMs: 0 }, controller);
    if (res.status !== 200) {
      const body = await readCapped(bodyChunks(res), 64 * 1024, () => new ViworksError('VIW_E_INTERNAL'));
      return { ...meta, body };
    }
    return { chunks: bodyChunks(res), close: () => controller.abort() };
  }

  private async open(req: BackendRequest, controller = new AbortController()) {
    const timeoutMs = req.timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    const onAbort = () => controller.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    const started = performance.now();
    try {
      const res = await this.fetchImpl(new URL(req.path, this.origin), {
        method: req.method,
        headers: {
          ...(req.headers ?? {}),
          ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        // A copy with its own ArrayBuffer: what the DOM's BodyInit accepts (no SharedArrayBuffer view).
        ...(req.body !== undefined ? { body: new Uint8Array(req.body) } : {}),
        credentials: 'same-origin',
        redirect: 'error',
        signal: controller.signal,
      });
      const date = Date.parse(res.headers.get('date') ?? '');
      const trace = res.headers.get('x-trace-id');
      const meta = {
        status: res.status,
        serverDateMs: Number.isFinite(date) ? date : null,
        traceId: trace && TRACE_ID_PATTERN.test(trace) ? trace : null,
        elapsedMs: performance.now() - started,
      };
      return { res, meta, done };
    } catch (err) {
      done();
      throw new ViworksError('VIW_E_BACKEND_UNREACHABLE', {
        details: [controller.signal.aborted ? 'timeout or aborted' : 'network error'],
        cause: err,
      });
    }
  }
}
