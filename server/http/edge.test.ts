// The backend's edge against what an adversarial probe did to it: bodies trickled or never sent,
// headers never finished, bad percent-encoding and over-long path parameters, oversized headers,
// a wrong content type, clients hanging up mid-body, too many pending requests from one address,
// and a caller-chosen trace id. Every answer must be the one error shape with a VIW_E_ code, a
// server trace id and `no-store`, and must never echo the URL.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import Fastify from 'fastify';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { RATE_RULES } from '../services/rate-limit.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { ctxOf, freshIp } from '../testing/identity-fixtures.js';
import { EDGE_LIMITS, type EdgeLimits } from './edge-limits.js';
import { installErrorHandlers } from './errors.js';

const LIMITS: EdgeLimits = {
  ...EDGE_LIMITS,
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 1_500,
  maxPendingPerAddress: 3,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown> | null;
  readonly text: string;
  readonly elapsedMs: number;
}

function open(ts: TestServer, localAddress: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tcp = netConnect({ host: '127.0.0.1', port: ts.server.port, localAddress });
    const socket = connect({ socket: tcp, servername: 'localhost', ca: ts.ca, minVersion: 'TLSv1.3' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the handshake finished')));
  });
}

/** Reads until the server closes (or `ms` pass) and parses the one HTTP/1.1 answer. */
function answer(socket: TLSSocket, startedAt: number, ms = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${text}`)), ms);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      const [head = '', payload = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(payload);
      } catch {
        body = null;
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body,
        text,
        elapsedMs: Date.now() - startedAt,
      });
    });
  });
}

function assertEdgeError(
  r: RawReply | { status: number; headers: Record<string, unknown>; text: string; body: unknown },
  status: number,
  code: string,
) {
  assert.equal(r.status, status, r.text);
  const body = r.body as Record<string, unknown>;
  assert.equal(body.code, code, r.text);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.hint, 'string');
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/, 'a server trace id');
  assert.equal(r.headers['cache-control'], 'no-store');
}

const postHead = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('backend edge: timeouts, framework errors, caps, aborts, trace ids', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({}, { limits: LIMITS });
  });
  after(async () => ts.stop());

  it('cuts a body trickled a byte at a time with 408 VIW_E_REQUEST_TIMEOUT', async () => {
    const socket = await open(ts, freshIp());
    const started = Date.now();
    const reply = answer(socket, started);
    socket.write(postHead('/auth/login', 200));
    const trickle = setInterval(() => socket.writable && socket.write('{'), 200);
    try {
      const r = await reply;
      assertEdgeError(r, 408, 'VIW_E_REQUEST_TIMEOUT');
      assert.ok(r.elapsedMs >= LIMITS.requestTimeoutMs - 100, `not before the limit (${r.elapsedMs} ms)`);
      assert.ok(r.elapsedMs < LIMITS.requestTimeoutMs + 1_500, `within the limit (${r.elapsedMs} ms)`);
    } finally {
      clearInterval(trickle);
    }
  });

  it('cuts a body that never comes, and headers that never end, with 408', async () => {
    const stalledBody = await open(ts, freshIp());
    const started = Date.now();
    const body = answer(stalledBody, started);
    stalledBody.write(postHead('/auth/login', 64));
    const stalledHeaders = await open(ts, freshIp());
    const headers = answer(stalledHeaders, Date.now());
    stalledHeaders.write('POST /auth/login HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const [b, h] = await Promise.all([body, headers]);
    assertEdgeError(b, 408, 'VIW_E_REQUEST_TIMEOUT');
    assert.ok(b.elapsedMs < LIMITS.requestTimeoutMs + 1_500, `body cut in time (${b.elapsedMs} ms)`);
    assertEdgeError(h, 408, 'VIW_E_REQUEST_TIMEOUT');
    assert.ok(h.elapsedMs < LIMITS.headersTimeoutMs + 1_500, `headers cut in time (${h.elapsedMs} ms)`);
  });

  it('answers bad percent-encoding and an over-long parameter in the one shape, never echoing the URL', async () => {
    const long = 'a'.repeat(200);
    const calls = [
      ['/pki/crl/%ff', undefined],
      [`/pki/crl/${long}`, undefined],
      [`/admin/users/${long}/lock`, {}],
    ] as const;
    for (const [path, json] of calls) {
      const r = await ts.call(path, { ...(json ? { json } : {}), localAddress: freshIp() });
      assertEdgeError(r, 400, 'VIW_E_BAD_REQUEST');
      assert.ok(!r.text.includes('%ff') && !r.text.includes('aaaaaaaa') && !r.text.includes('/pki'), r.text);
      assert.ok(!r.text.includes('FST_ERR'), r.text);
    }
  });

  it('answers oversized headers and a wrong content type in the one shape', async () => {
    const big = await ts.call('/health', {
      headers: { 'x-big': 'b'.repeat(20_000) },
      localAddress: freshIp(),
    });
    assert.equal(big.status, 431, big.text);
    assert.equal((big.body as { code?: string }).code, 'VIW_E_HEADERS_TOO_LARGE');
    const wrongType = await ts.call('/auth/login', {
      raw: 'username=x',
      headers: { 'content-type': 'text/plain' },
      localAddress: freshIp(),
    });
    assert.equal(wrongType.status, 400, wrongType.text);
    assertEdgeError(wrongType, 400, 'VIW_E_VALIDATION');
    assert.ok(!wrongType.text.includes('username=x'));
  });

  it('logs a client that hangs up mid-body at info, without an error line or a stack', async () => {
    const before = ts.logs().length;
    const socket = await open(ts, freshIp());
    socket.write(`${postHead('/auth/login', 500)}{"username":"a`);
    await sleep(150);
    socket.destroy();
    await sleep(300);
    const lines = ts
      .logs()
      .slice(before)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg?: string; err?: unknown });
    assert.ok(
      lines.some((l) => l.msg === 'client aborted the request' && l.level === 30),
      'the abort is logged at info',
    );
    assert.deepEqual(
      lines.filter((l) => l.level >= 50),
      [],
      'no error-level line',
    );
    assert.ok(
      lines.every((l) => l.err === undefined),
      'no stack',
    );
  });

  it('caps connections and still-arriving bodies per source address, not for other addresses', async () => {
    const ip = freshIp();
    // Three bodies still arriving from one address fill its cap; a fourth request is refused
    // before its body is read, while another address is served.
    const pending = await Promise.all([0, 1, 2].map(() => open(ts, ip)));
    for (const s of pending) s.write(`${postHead('/auth/login', 100)}{`);
    await sleep(100);
    const refused = await ts.call('/auth/login', { json: {}, localAddress: ip });
    assertEdgeError(refused, 429, 'VIW_E_RATE_LIMITED');
    const other = await ts.call('/health', { localAddress: freshIp() });
    assert.equal(other.status, 200);
    for (const s of pending) s.destroy();
    await sleep(100);
    assert.equal((await ts.call('/health', { localAddress: ip })).status, 200, 'released when they end');

    // Connections that never send a request: three are held, the fourth is closed at once.
    const idleIp = freshIp();
    const idle = await Promise.all([0, 1, 2].map(() => open(ts, idleIp)));
    await assert.rejects(open(ts, idleIp), 'a fourth silent connection is refused');
    for (const s of idle) s.destroy();
  });

  it('rate-limits 404s per source address', async () => {
    const ip = freshIp();
    const codes: number[] = [];
    for (let i = 0; i <= RATE_RULES.notFound.limit; i++) {
      codes.push((await ts.call(`/no-such-${i}`, { localAddress: ip })).status);
    }
    assert.deepEqual(codes.slice(0, -1), Array(RATE_RULES.notFound.limit).fill(404));
    assert.equal(codes.at(-1), 429);
    assert.equal(
      (await ts.call('/no-such-path', { localAddress: freshIp() })).status,
      404,
      'others unaffected',
    );
  });

  it("never takes a caller's trace id as its own, nor into the audit", async () => {
    const theirs = 'SAME-trace-id-42';
    const r = await ts.call('/admin/login', {
      json: { username: 'nobody-here', password: 'wrong password 1234' },
      headers: { 'x-trace-id': theirs },
      localAddress: freshIp(),
    });
    assert.equal(r.status, 401);
    const ours = String((r.body as { trace_id: string }).trace_id);
    assert.notEqual(ours, theirs);
    assert.equal(r.headers['x-trace-id'], ours);
    const rows = await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 5 });
    const events = rows.map((row) => JSON.parse(row.event) as { action: string; trace_id: string | null });
    const login = events.find((e) => e.action === 'admin.login');
    assert.ok(login, 'the failed login is audited');
    assert.equal(login.trace_id, ours);
    assert.ok(!rows.some((row) => row.event.includes(theirs)), 'the caller id is nowhere in the audit');
    // …but it is kept apart on the request's log lines, for the caller's own correlation.
    assert.ok(ts.logs().includes(`"client_trace_id":"${theirs}"`));
  });
});

describe('backend error edge: 5xx', () => {
  it('answers only code, message, hint and trace id; the details go to the log', async () => {
    const lines: string[] = [];
    const app = Fastify({ logger: { level: 'info', stream: { write: (l: string) => lines.push(l) } } });
    installErrorHandlers(app);
    app.get('/boom', async () => {
      throw new ViworksError('VIW_E_GATEWAY_UNREACHABLE', { details: ['node gw-7 at 10.0.0.7 refused'] });
    });
    const r = await app.inject({ method: 'GET', url: '/boom' });
    assert.equal(r.statusCode, 503);
    const body = r.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'hint', 'message', 'trace_id']);
    assert.ok(!r.body.includes('gw-7'));
    assert.ok(lines.join('').includes('node gw-7 at 10.0.0.7 refused'), 'the details are logged');
    await app.close();
  });
});
