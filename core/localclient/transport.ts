// HTTP/1.1 over the daemon's Unix domain socket (node:http `socketPath`), for LocalClient.
// Socket failures become the two errors a user can act on: EACCES/EPERM → VIW_E_PERMISSION_DENIED
// ("add yourself to the viworks group or use sudo"), ENOENT/ECONNREFUSED → VIW_E_DAEMON_UNAVAILABLE.
// Replies are read with the one reply reader of every typed client (core/backendclient/reply.ts):
// a size cap, strict JSON, non-2xx answers rebuilt from their `{code, message, hint}` body.
import { type IncomingMessage, request } from 'node:http';
import { DAEMON_VERSION_HEADER, LOCAL_API_VERSION, LOCAL_API_VERSION_HEADER } from '../api/local.js';
import { errorFromReply, parseJsonBytes, readCapped } from '../backendclient/reply.js';
import { ViworksError } from '../errors/viworks-error.js';

const MAX_REPLY_BYTES = 1024 * 1024;
const MAX_LINE_CHARS = 256 * 1024;

export interface VersionMismatch {
  readonly daemonVersion: string | null;
  readonly daemonApiVersion: string | null;
  readonly clientVersion: string;
  readonly clientApiVersion: number;
}

export interface TransportOptions {
  readonly socketPath: string;
  readonly clientVersion: string;
  /** Called once per client on the first answer whose versions differ from ours. */
  readonly onVersionMismatch: (m: VersionMismatch) => void;
}

export interface CallOptions {
  readonly body?: unknown;
  /** The Accept header; default application/json. */
  readonly accept?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class UnixSocketHttp {
  private warned = false;

  constructor(private readonly o: TransportOptions) {}

  /** One request; resolves with the parsed 2xx JSON body. */
  async call(method: 'GET' | 'POST', path: string, c: CallOptions = {}): Promise<unknown> {
    const res = await this.open(method, path, c);
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw errorFromReply({ body, traceId: null });
    return parseJsonBytes(body);
  }

  /**
   * A GET whose 2xx answer is text (GET /v1/metrics): its content type must start with
   * `contentType`, its bytes must be printable UTF-8 text; errors come as the usual JSON body.
   */
  async text(path: string, contentType: string, c: CallOptions = {}): Promise<string> {
    const res = await this.open('GET', path, { ...c, accept: contentType });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw errorFromReply({ body, traceId: null });
    const type = header(res, 'content-type') ?? '';
    if (!type.startsWith(contentType.split(';', 1)[0]!)) {
      throw new ViworksError('VIW_E_INTERNAL', { details: ['daemon answer: not the expected content type'] });
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new ViworksError('VIW_E_INTERNAL', { details: ['daemon answer: not UTF-8 text'] });
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(text)) {
      throw new ViworksError('VIW_E_INTERNAL', { details: ['daemon answer: control characters in text'] });
    }
    return text;
  }

  /** A streaming GET: the open 200 response (read it with ndjsonLines). */
  async stream(path: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const res = await this.open('GET', path, { timeoutMs: 0, ...(signal ? { signal } : {}) });
    if (res.statusCode !== 200) throw errorFromReply({ body: await readAll(res), traceId: null });
    return res;
  }

  private open(method: string, path: string, c: CallOptions): Promise<IncomingMessage> {
    const payload = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body), 'utf8');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.o.socketPath,
          path,
          method,
          agent: false,
          headers: {
            accept: c.accept ?? 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
          ...(c.timeoutMs ? { timeout: c.timeoutMs } : {}),
          ...(c.signal ? { signal: c.signal } : {}),
        },
        (res) => {
          this.checkVersions(res);
          resolve(res);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new ViworksError('VIW_E_DAEMON_UNAVAILABLE', { details: ['the daemon did not answer in time'] }),
        ),
      );
      req.on('error', (err) => reject(socketError(err)));
      req.end(payload);
    });
  }

  private checkVersions(res: IncomingMessage): void {
    if (this.warned) return;
    const daemonVersion = header(res, DAEMON_VERSION_HEADER);
    const daemonApiVersion = header(res, LOCAL_API_VERSION_HEADER);
    if (daemonVersion === this.o.clientVersion && daemonApiVersion === String(LOCAL_API_VERSION)) return;
    this.warned = true;
    this.o.onVersionMismatch({
      daemonVersion,
      daemonApiVersion,
      clientVersion: this.o.clientVersion,
      clientApiVersion: LOCAL_API_VERSION,
    });
  }
}

/** Reads NDJSON lines from a stream, one parsed value per line; bounded line length. */
export async function* ndjsonLines(res: IncomingMessage): AsyncGenerator<unknown> {
  res.setEncoding('utf8');
  let buffer = '';
  for await (const chunk of res) {
    buffer += chunk as string;
    let at = buffer.indexOf('\n');
    while (at >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      if (line.trim()) yield parseLine(line);
      at = buffer.indexOf('\n');
    }
    if (buffer.length > MAX_LINE_CHARS) {
      res.destroy();
      throw new ViworksError('VIW_E_INTERNAL', { details: ['daemon stream: line too long'] });
    }
  }
}

export function socketError(err: unknown): ViworksError {
  if (err instanceof ViworksError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'EACCES' || code === 'EPERM')
    return new ViworksError('VIW_E_PERMISSION_DENIED', { cause: err });
  if ((err as Error).name === 'AbortError') {
    return new ViworksError('VIW_E_DAEMON_UNAVAILABLE', { details: ['aborted'], cause: err });
  }
  return new ViworksError('VIW_E_DAEMON_UNAVAILABLE', {
    ...(code === 'ENOENT' || code === 'ECONNREFUSED' ? {} : { details: [code || 'connection failed'] }),
    cause: err,
  });
}

function header(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  return typeof v === 'string' ? v : null;
}

function parseLine(text: string): unknown {
  const value = parseJsonBytes(new TextEncoder().encode(text));
  if (value === null) throw new ViworksError('VIW_E_INTERNAL', { details: ['daemon stream: not JSON'] });
  return value;
}

function readAll(res: IncomingMessage): Promise<Uint8Array> {
  return readCapped(res, MAX_REPLY_BYTES, () => {
    res.destroy();
    return new ViworksError('VIW_E_INTERNAL', { details: ['daemon reply too large'] });
  });
}
