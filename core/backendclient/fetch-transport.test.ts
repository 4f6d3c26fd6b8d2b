// The browser transport's own logic, driven by the platform's real `fetch` (Node's, the same web
// API a page has) against a local HTTP server that stands in for the backend's same origin: replies
// read and capped, the backend's trace id kept, errors typed, streams opened and closed, timeouts.
// TLS is the browser's business here (a page can pin nothing), so the stand-in speaks plain HTTP on
// loopback; the real admin panel and phone app exercise it in a browser against the real backend.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { AdminClient } from './admin-client.js';
import { BackendClient } from './backend-client.js';
import { FetchTransport } from './fetch-transport.js';
import { readSessionEvents } from './session-events.js';

const TRACE = '0195f3a2-1b2c-7d3e-8f40-123456789abc';
let server: Server;
let origin = '';
const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];

function answer(req: IncomingMessage, res: ServerResponse, body: string) {
  seen.push({
    ...(req.method ? { method: req.method } : {}),
    ...(req.url ? { url: req.url } : {}),
    ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    body,
  });
  const json = (status: number, value: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-trace-id': TRACE,
      date: new Date().toUTCString(),
    });
    res.end(JSON.stringify(value));
  };
  if (req.url === '/health') return json(200, { status: 'ok', version: '9.9.9' });
  if (req.url === '/admin/users/0195f3a2-1b2c-7d3e-8f40-123456789abc/lock')
    return json(403, { code: 'VIW_E_FORBIDDEN', message: 'no', hint: 'ask', trace_id: TRACE });
  if (req.url === '/admin/me') return json(200, { huge: 'x'.repeat(100_000) });
  if (req.url?.startsWith('/client/events')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: state\ndata: {"bad":true}\n\n: keepalive\n\n');
    res.end(
      `event: revoked\ndata: ${JSON.stringify({ session_id: `s-${'a'.repeat(32)}`, reason: 'admin', at: new Date().toISOString() })}\n\n`,
    );
    return;
  }
  if (req.url === '/admin/audit') return; // never answers
  return json(404, { code: 'VIW_E_NOT_FOUND', message: 'No such resource', hint: 'x' });
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('fetch transport (browser)', () => {
  it('calls a route from the table and reads its checked reply, clock and trace id', async () => {
    const h = await new BackendClient(new FetchTransport({ origin })).health();
    assert.equal(h.value.version, '9.9.9');
    assert.equal(h.traceId, TRACE);
    assert.ok(h.serverDateMs !== null);
  });

  it('sends the admin token and path parameters; refusals come back typed with the trace id', async () => {
    const admin = new AdminClient(new FetchTransport({ origin }), 'viw_adm_token');
    await assert.rejects(
      admin.lockUser(TRACE),
      (e) => isViworksError(e, 'VIW_E_FORBIDDEN') && e.traceId === TRACE,
    );
    const last = seen.at(-1);
    assert.equal(last?.method, 'POST');
    assert.equal(last?.auth, 'Bearer viw_adm_token');
    assert.equal(last?.body, '{}');
  });

  it('caps the reply size and times out a backend that never answers', async () => {
    const small = new AdminClient(new FetchTransport({ origin, maxReplyBytes: 10_000 }), 't');
    await assert.rejects(small.me(), (e) => isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE'));
    const quick = new AdminClient(new FetchTransport({ origin, timeoutMs: 300 }), 't');
    await assert.rejects(quick.queryAudit(), (e) => isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE'));
  });

  it('opens an event stream; events outside the contract are skipped', async () => {
    const client = new BackendClient(new FetchTransport({ origin }));
    const stream = await client.events('viw_at_x', `s-${'a'.repeat(32)}`, new AbortController().signal);
    const got = [];
    for await (const m of readSessionEvents(stream)) got.push(m.type);
    assert.deepEqual(got, ['revoked']);
  });
});
