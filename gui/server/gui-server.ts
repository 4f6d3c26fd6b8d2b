// `viworks gui`: an unprivileged local web server for one user's browser window. It serves the GUI
// (gui/web) on 127.0.0.1 at a random port and answers its API by calling the daemon through the
// typed LocalClient — the daemon itself keeps refusing browser requests. Every request passes the
// LaunchGate (gate.ts); every answer carries a strict CSP and no CORS header. The server ends when
// the last window is gone (its event stream closed and none came back within the grace time) or
// after a long idle time.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  EnrollConfirmRequestSchema,
  EnrollRequestSchema,
  LoginRequestSchema,
  OtpRequestSchema,
  PasswordRequestSchema,
} from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type { LocalClient } from '../../core/localclient/index.js';
import { GUI_FILES, type GuiFile } from './assets.js';
import { LaunchGate } from './gate.js';

const LAUNCHED_PAGE =
  '<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
  '<meta http-equiv="refresh" content="0;url=/"><title>ViWorkS</title><p><a href="/">Open ViWorkS</a></p>';

export const GUI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': GUI_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface GuiServerOptions {
  readonly client: LocalClient;
  readonly assets: ReadonlyMap<GuiFile, Buffer>;
  /** After the last window's stream closed, how long to wait for another before ending. */
  readonly graceMs?: number;
  /** With no window and no request for this long, end. */
  readonly idleMs?: number;
  /** Called once the launch link was used (the opener page can go). */
  readonly onLaunched?: () => void;
}

export interface GuiServer {
  readonly port: number;
  /** The one-time launch URL (print it, open it). */
  readonly launchUrl: string;
  /** Settles when the server ended (last window gone, idle, or close()). */
  readonly ended: Promise<'window_closed' | 'idle' | 'closed'>;
  close(): Promise<void>;
}

const REFUSALS = {
  host: { status: 421, message: 'This address is not the GUI’s' },
  origin: { status: 403, message: 'Requests from other sites are refused' },
  session: { status: 401, message: 'Open the link that `viworks gui` printed' },
} as const;

function errorBody(err: unknown) {
  if (isViworksError(err))
    return { status: err.status, body: { code: err.code, message: err.message, hint: err.hint } };
  return {
    status: 500,
    body: { code: 'VIW_E_INTERNAL', message: 'Unexpected error', hint: 'See the daemon log' },
  };
}

export async function startGuiServer(o: GuiServerOptions): Promise<GuiServer> {
  const graceMs = o.graceMs ?? 20_000;
  const idleMs = o.idleMs ?? 15 * 60_000;
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  let gate: LaunchGate | null = null;
  let streams = 0;
  let hadWindow = false;
  let lastActivity = Date.now();
  let lastStreamEnd = 0;
  let finish: (why: 'window_closed' | 'idle' | 'closed') => void = () => undefined;
  const ended = new Promise<'window_closed' | 'idle' | 'closed'>((r) => {
    finish = r;
  });
  const closing = new AbortController();

  app.addHook('onRequest', async (request, reply) => {
    lastActivity = Date.now();
    reply.headers(HEADERS);
    const launching = request.url.startsWith('/launch?') || request.url === '/launch';
    const why = gate?.check(
      {
        method: request.method,
        host: request.headers.host,
        origin: request.headers.origin,
        secFetchSite: request.headers['sec-fetch-site'] as string | undefined,
        cookie: request.headers.cookie,
      },
      launching,
    );
    if (why) {
      const r = REFUSALS[why];
      return reply
        .code(r.status)
        .send({ code: 'VIW_E_FORBIDDEN', message: r.message, hint: 'Run viworks gui again' });
    }
  });
  app.setErrorHandler((err, _request, reply) => {
    const e = err as { validation?: unknown; statusCode?: number };
    if (e.validation) {
      return reply
        .code(400)
        .send({ code: 'VIW_E_VALIDATION', message: 'Invalid input', hint: 'Check the form' });
    }
    const { status, body } = errorBody(err);
    return reply.code(status).send(body);
  });

  app.get('/launch', async (request: FastifyRequest<{ Querystring: { token?: string } }>, reply) => {
    const cookie = gate?.exchange(request.query.token);
    if (!cookie) {
      return reply.code(401).send({
        code: 'VIW_E_FORBIDDEN',
        message: 'This launch link was used already or is wrong',
        hint: 'Run viworks gui again',
      });
    }
    o.onLaunched?.();
    // A page of this origin that moves on to / itself (see gate.ts: why not a redirect).
    return reply.header('set-cookie', cookie).type('text/html; charset=utf-8').send(LAUNCHED_PAGE);
  });
  const file = (name: GuiFile) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type(GUI_FILES[name]).send(o.assets.get(name));
  app.get('/', file('index.html'));
  app.get('/app.js', file('app.js'));
  app.get('/app.css', file('app.css'));

  const call =
    <T>(run: () => Promise<T>) =>
    async (_request: FastifyRequest, reply: FastifyReply) => {
      try {
        return reply.send(await run());
      } catch (err) {
        const { status, body } = errorBody(err);
        return reply.code(status).send(body);
      }
    };
  app.get(
    '/api/status',
    call(() => o.client.status()),
  );
  app.get(
    '/api/device',
    call(() => o.client.device()),
  );
  app.get(
    '/api/preflight',
    call(() => o.client.preflight()),
  );
  app.post(
    '/api/connect',
    call(() => o.client.connect()),
  );
  app.post(
    '/api/disconnect',
    call(() => o.client.disconnect()),
  );
  const body = <S>(schema: S) => ({ schema: { body: schema } });
  app.post('/api/login', body(LoginRequestSchema), async (request, reply) =>
    call(() => o.client.login(request.body as never))(request, reply),
  );
  app.post('/api/otp', body(OtpRequestSchema), async (request, reply) =>
    call(() => o.client.otp(request.body as never))(request, reply),
  );
  app.post('/api/password', body(PasswordRequestSchema), async (request, reply) =>
    call(() => o.client.password(request.body as never))(request, reply),
  );
  app.post('/api/enroll', body(EnrollRequestSchema), async (request, reply) =>
    call(() => o.client.enroll(request.body as never))(request, reply),
  );
  app.post('/api/enroll/confirm', body(EnrollConfirmRequestSchema), async (request, reply) =>
    call(() => o.client.enrollConfirm(request.body as never))(request, reply),
  );

  // One event stream per window: every Status change (`status`) and the daemon's log (`log`).
  app.get('/api/events', async (request, reply) => {
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, closing.signal]);
    streams++;
    hadWindow = true;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const pump = async (event: string, lines: AsyncIterable<unknown>) => {
      try {
        for await (const line of lines) send(event, line);
      } catch (err) {
        if (!signal.aborted) send('daemon', errorBody(err).body);
      }
    };
    request.raw.on('close', () => {
      stop.abort();
      streams--;
      lastStreamEnd = Date.now();
    });
    void pump('status', o.client.watch({ signal }));
    void pump('log', o.client.logs({ follow: true, lines: 50, signal }));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    signal.addEventListener('abort', () => {
      clearInterval(ping);
      res.end();
    });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  gate = new LaunchGate(port);
  const launchUrl = gate.launchUrl();

  let stopped = false;
  const end = async (why: 'window_closed' | 'idle' | 'closed') => {
    if (stopped) return;
    stopped = true;
    clearInterval(watchdog);
    closing.abort();
    await app.close();
    finish(why);
  };
  const watchdog = setInterval(
    () => {
      const now = Date.now();
      if (streams > 0) return;
      if (hadWindow && now - lastStreamEnd >= graceMs) void end('window_closed');
      else if (now - lastActivity >= idleMs) void end('idle');
    },
    Math.min(1_000, graceMs),
  );
  watchdog.unref();

  return { port, launchUrl, ended, close: () => end('closed') };
}
