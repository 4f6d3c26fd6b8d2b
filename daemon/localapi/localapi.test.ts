// The local API's edge over a real Unix socket: socket permissions, stale and live sockets,
// browsers refused, strict schemas, one error shape, version headers, the route table, the watch
// and log streams — and the LocalClient's error mapping (daemon absent, stale socket, mismatch).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { LOCAL_ROUTES, StatusSchema } from '../../core/api/local.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { LocalClient, packageVersion } from '../../core/localclient/index.js';
import { strictValidator } from '../../core/schema/strict.js';
import { startDaemon } from '../daemon.js';
import { type DaemonFixture, startDaemonFixture } from '../testing/daemon-fixture.js';
import { RouteTable } from './route-table.js';
import { MAX_OPEN_STREAMS } from './streams.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; hint?: string; [k: string]: unknown } | null;
  text: string;
}

function raw(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  return new Promise<Raw>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let parsed: Raw['body'] = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let d: DaemonFixture;
before(async () => {
  d = await startDaemonFixture();
});
after(() => d?.stop());

describe('local API socket', () => {
  it('is a 0660 socket in a 0750 directory', () => {
    assert.equal(statSync(d.socketPath).mode & 0o777, 0o660);
    assert.ok(statSync(d.socketPath).isSocket());
    assert.equal(statSync(join(d.dir, 'run')).mode & 0o777, 0o750);
  });

  it('refuses to start on a socket another daemon answers; removes a stale one', async () => {
    await assert.rejects(
      startDaemon({ socketPath: d.socketPath, stateDir: join(d.dir, 'state2'), keyStore: d.keyStore }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
    // A socket left behind by a process that died without closing it.
    const stale = join(d.dir, 'stale', 'viworksd.sock');
    execFileSync(process.execPath, [
      '-e',
      `require('fs').mkdirSync(${JSON.stringify(join(d.dir, 'stale'))});` +
        `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`,
    ]);
    assert.ok(statSync(stale).isSocket());
    await assert.rejects(new LocalClient({ socketPath: stale }).status(), (e) =>
      isViworksError(e, 'VIW_E_DAEMON_UNAVAILABLE'),
    );
    const second = await startDaemon({
      socketPath: stale,
      stateDir: join(d.dir, 'state3'),
      keyStore: d.keyStore,
    });
    assert.equal((await new LocalClient({ socketPath: stale }).status()).state, 'idle');
    await second.close();
  });
});

describe('local API edge', () => {
  it('refuses browser-style requests (Origin, Referer, Fetch-Metadata) on reads and writes', async () => {
    for (const [path, method, body] of [
      ['/v1/status', 'GET', undefined],
      ['/v1/login', 'POST', '{"password":"x"}'],
      ['/v1/watch', 'GET', undefined],
    ] as const) {
      const browserHeaders: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { referer: 'http://evil.example/page' },
        { 'sec-fetch-site': 'cross-site' },
      ];
      for (const h of browserHeaders) {
        const r = await raw(d.socketPath, method, path, body, h);
        assert.equal(r.status, 403, `${path} ${Object.keys(h)[0]}`);
        assert.equal(r.body?.code, 'VIW_E_ORIGIN_REFUSED');
      }
    }
  });

  it('refuses unknown fields, wrong types, bad JSON and big bodies with stable codes', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['/v1/login', '{"password":"p","remember":true}', 400, 'VIW_E_UNKNOWN_FIELD'],
      ['/v1/otp', '{"otp_code":"12345x"}', 400, 'VIW_E_VALIDATION'],
      ['/v1/login', '{"password":', 400, 'VIW_E_MALFORMED_JSON'],
      ['/v1/connect', '{"force":1}', 400, 'VIW_E_UNKNOWN_FIELD'],
      ['/v1/login', JSON.stringify({ password: 'x'.repeat(70 * 1024) }), 413, 'VIW_E_BODY_TOO_LARGE'],
    ];
    for (const [path, body, status, code] of cases) {
      const r = await raw(d.socketPath, 'POST', path, body);
      assert.equal(r.status, status, `${path} ${body.slice(0, 30)}`);
      assert.deepEqual(
        Object.keys(r.body ?? {})
          .filter((k) => k !== 'details')
          .sort(),
        ['code', 'hint', 'message', 'trace_id'],
      );
      assert.equal(r.body?.code, code);
      assert.ok(!r.text.includes('remember') || code === 'VIW_E_UNKNOWN_FIELD');
    }
    const nf = await raw(d.socketPath, 'GET', '/v1/nope');
    assert.equal(nf.body?.code, 'VIW_E_NOT_FOUND');
  });

  it('sends the daemon and local-API version headers on answers and errors', async () => {
    for (const path of ['/v1/version', '/v1/nope']) {
      const r = await raw(d.socketPath, 'GET', path);
      assert.equal(r.headers['viworks-daemon-version'], packageVersion());
      assert.equal(r.headers['viworks-local-api-version'], '1');
    }
  });

  it('registers each route of the contract once; a duplicate throws', async () => {
    const app = Fastify();
    const table = new RouteTable(app);
    table.register('status', {}, async () => ({}));
    assert.throws(() => table.register('status', {}, async () => ({})), /registered twice/);
    assert.ok(table.missing().includes('watch'));
    await app.close();
  });

  it('watch: the first line is the full Status; logs stream the kept lines', async () => {
    const abort = new AbortController();
    const it = d.client.watch({ signal: abort.signal });
    const first = await it.next();
    assert.ok(strictValidator(StatusSchema).check(first.value));
    abort.abort();
    const lines = [];
    for await (const l of d.client.logs({ lines: 2 })) lines.push(l);
    assert.equal(lines.length, 2);
  });
});

describe('local API edge: framework errors, timeouts, stream cap', () => {
  it('answers bad percent-encoding in the one shape with a trace id, never echoing the URL', async () => {
    const r = await raw(d.socketPath, 'GET', '/v1/%ff');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body?.code, 'VIW_E_BAD_REQUEST');
    assert.match(String(r.body?.trace_id), /^[0-9a-f-]{36}$/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['viworks-daemon-version'], packageVersion());
    assert.ok(!r.text.includes('%ff') && !r.text.includes('/v1') && !r.text.includes('FST_ERR'), r.text);
    const nf = await raw(d.socketPath, 'GET', '/v1/nope');
    assert.match(String(nf.body?.trace_id), /^[0-9a-f-]{36}$/, 'every error names its request');
  });

  it('cuts a stalled body with 408 VIW_E_REQUEST_TIMEOUT', async () => {
    const limits = { headersTimeoutMs: 500, requestTimeoutMs: 800, keepAliveTimeoutMs: 5_000 };
    const slow = await startDaemonFixture({ localApiLimits: limits });
    try {
      const started = Date.now();
      const text = await new Promise<string>((resolve, reject) => {
        const socket = createConnection(slow.socketPath, () => {
          socket.write(
            'POST /v1/login HTTP/1.1\r\nHost: viworksd\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{',
          );
        });
        let got = '';
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => {
          got += c;
        });
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
      });
      const elapsed = Date.now() - started;
      assert.match(text, /^HTTP\/1\.1 408 /, text);
      assert.match(text, /"code":"VIW_E_REQUEST_TIMEOUT"/);
      assert.match(text, /"trace_id":"[0-9a-f-]{36}"/);
      assert.ok(elapsed < limits.requestTimeoutMs + 1_500, `cut in time (${elapsed} ms)`);
    } finally {
      await slow.stop();
    }
  });

  it(`refuses a stream beyond ${MAX_OPEN_STREAMS} open ones with VIW_E_TOO_MANY_STREAMS`, async () => {
    const aborts = Array.from({ length: MAX_OPEN_STREAMS }, () => new AbortController());
    try {
      for (const a of aborts) await d.client.watch({ signal: a.signal }).next();
      const r = await raw(d.socketPath, 'GET', '/v1/watch');
      assert.equal(r.status, 429, r.text);
      assert.equal(r.body?.code, 'VIW_E_TOO_MANY_STREAMS');
    } finally {
      for (const a of aborts) a.abort();
    }
    await new Promise((r) => setTimeout(r, 100));
    const again = new AbortController();
    assert.ok((await d.client.watch({ signal: again.signal }).next()).value, 'places are given back');
    again.abort();
  });
});

describe('logs?follow=1', () => {
  it('streams new daemon log lines as they are written', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const l of d.client.logs({ follow: true, lines: 0, signal: abort.signal })) {
        seen.push(l.msg);
        if (l.msg.includes('refused a browser-style request')) abort.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await raw(d.socketPath, 'GET', '/v1/status', undefined, { origin: 'http://evil.example' });
    await reading;
    assert.ok(seen.some((m) => m.includes('refused a browser-style request')));
  });
});

describe('LocalClient', () => {
  it('has one method per LOCAL_ROUTES entry', () => {
    for (const name of Object.keys(LOCAL_ROUTES)) {
      assert.equal(
        typeof (LocalClient.prototype as unknown as Record<string, unknown>)[name],
        'function',
        name,
      );
    }
  });

  it('rebuilds daemon refusals as typed errors', async () => {
    await assert.rejects(d.client.device(), (e) => isViworksError(e, 'VIW_E_DEVICE_UNKNOWN'));
    await assert.rejects(d.client.otp({ otp_code: '123456' }), (e) => isViworksError(e, 'VIW_E_STATE'));
    await assert.rejects(d.client.connect(), (e) => isViworksError(e, 'VIW_E_DEVICE_UNKNOWN'));
    const pf = await d.client.preflight();
    assert.equal(pf.ok, false);
    assert.equal(pf.checks.find((c) => c.name === 'backend')?.code, 'VIW_E_DEVICE_UNKNOWN');
  });

  it('maps a missing daemon to VIW_E_DAEMON_UNAVAILABLE', async () => {
    const c = new LocalClient({ socketPath: join(d.dir, 'absent.sock') });
    await assert.rejects(c.status(), (e) => isViworksError(e, 'VIW_E_DAEMON_UNAVAILABLE'));
  });

  it('warns once when the daemon speaks another version', async () => {
    const path = join(d.dir, 'old.sock');
    const server = createServer((_q, res) => {
      res.writeHead(200, { 'viworks-daemon-version': '0.0.1', 'viworks-local-api-version': '1' });
      res.end(JSON.stringify({ v: 1, daemon_version: '0.0.1', local_api_version: 1 }));
    });
    await new Promise<void>((r) => server.listen(path, r));
    const warnings: string[] = [];
    const c = new LocalClient({
      socketPath: path,
      onVersionMismatch: (m) => warnings.push(m.daemonVersion ?? ''),
    });
    await c.version();
    await c.version();
    assert.deepEqual(warnings, ['0.0.1']);
    await new Promise((r) => server.close(r));
  });
});
