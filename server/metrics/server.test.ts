// The metrics listener's edge: the bearer token (made 0600 at first start, unsafe files refused),
// 401 before anything else, only GET /metrics, no bodies, one collection for concurrent scrapes,
// and never the token in a log line or an error.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type MetricsLog, type MetricsServer, type MetricsSource, startMetricsServer } from './server.js';
import { isLoopback, metricsTokenPath, parseListen } from './settings.js';
import { loadOrCreateMetricsToken } from './token.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function httpGet(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers ?? {}, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

function capturingLog(): MetricsLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const EXPOSITION = '# HELP viworks_x_total x\n# TYPE viworks_x_total counter\nviworks_x_total 1\n';

describe('metrics token file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-metrics-token-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is made at first start under <dataDir>/metrics: 0600, 32 random bytes, kept across starts', () => {
    const path = metricsTokenPath(dir, { tokenFile: null });
    assert.equal(path, join(dir, 'metrics', 'token'));
    const first = loadOrCreateMetricsToken(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'metrics')).mode & 0o777, 0o700);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^[A-Za-z0-9_-]{43}\n$/);
    const token = text.trim();
    assert.equal(first.matches(token), true);
    const again = loadOrCreateMetricsToken(path);
    assert.equal(readFileSync(path, 'utf8'), text, 'not replaced');
    assert.equal(again.matches(token), true);
    // Near misses: one character changed, one more, one less, surrounding space.
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of [flipped, `${token}A`, token.slice(0, -1), ` ${token}`, ''])
      assert.equal(first.matches(wrong), false, JSON.stringify(wrong));
    const other = join(dir, 'other-token');
    loadOrCreateMetricsToken(other);
    assert.notEqual(readFileSync(other, 'utf8'), text, 'each file its own random token');
  });

  it('refuses a file group or others can access, a symlink, a short token — without ever naming the token', () => {
    const token = 'x'.repeat(40);
    const loose = join(dir, 'loose');
    writeFileSync(loose, `${token}\n`, { mode: 0o600 });
    for (const mode of [0o640, 0o604, 0o620, 0o660]) {
      chmodSync(loose, mode);
      assert.throws(
        () => loadOrCreateMetricsToken(loose),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && !JSON.stringify(e.details).includes(token),
        mode.toString(8),
      );
    }
    chmodSync(loose, 0o400);
    assert.equal(loadOrCreateMetricsToken(loose).matches(token), true, '0400 is stricter than 0600: fine');

    const link = join(dir, 'link');
    chmodSync(loose, 0o600);
    symlinkSync(loose, link);
    assert.throws(
      () => loadOrCreateMetricsToken(link),
      (e) => isViworksError(e, 'VIW_E_CONFIG') && /symbolic link/.test(e.details.join()),
    );

    const short = join(dir, 'short');
    writeFileSync(short, 'x'.repeat(31), { mode: 0o600 });
    assert.throws(
      () => loadOrCreateMetricsToken(short),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
    writeFileSync(short, `${'x'.repeat(31)} y`, { mode: 0o600 });
    assert.throws(
      () => loadOrCreateMetricsToken(short),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
    writeFileSync(short, 'x'.repeat(32), { mode: 0o600 });
    assert.equal(loadOrCreateMetricsToken(short).matches('x'.repeat(32)), true, '32 characters: accepted');
  });

  it('stops the start of the listener when the file is unsafe', async () => {
    const loose = join(dir, 'loose-start');
    writeFileSync(loose, `${'y'.repeat(40)}\n`, { mode: 0o644 });
    chmodSync(loose, 0o644);
    await assert.rejects(
      startMetricsServer({
        listen: '127.0.0.1:0',
        tokenFile: loose,
        registry: { contentType: 'text/plain', metrics: async () => EXPOSITION },
        log: capturingLog(),
      }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});

describe('metrics listen setting', () => {
  it('takes host:port, [v6]:port or a bare port (loopback); refuses names and bad ports', () => {
    assert.deepEqual(parseListen('9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseListen('localhost:9464'), { host: 'localhost', port: 9464 });
    assert.deepEqual(parseListen('10.0.0.5:9464'), { host: '10.0.0.5', port: 9464 });
    for (const bad of [
      'example.com:9464',
      '1.2.3.4',
      '1.2.3.4:65536',
      '::1:9464',
      '[zz]:1',
      '1.2.3.256:1',
      ':9464',
    ])
      assert.throws(
        () => parseListen(bad),
        (e) => isViworksError(e, 'VIW_E_CONFIG'),
        bad,
      );
    assert.equal(isLoopback('127.0.0.1'), true);
    assert.equal(isLoopback('::1'), true);
    assert.equal(isLoopback('10.0.0.5'), false);
    assert.equal(isLoopback('0.0.0.0'), false);
  });
});

describe('metrics listener', () => {
  let dir: string;
  let server: MetricsServer;
  let token: string;
  let calls = 0;
  let fail = false;
  const log = capturingLog();
  const source: MetricsSource = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    metrics: async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      if (fail) throw new Error(`collector broke ${'s3cret-detail'}`);
      return EXPOSITION;
    },
  };
  const auth = () => ({ authorization: `Bearer ${token}` });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-metrics-'));
    const tokenFile = join(dir, 'metrics', 'token');
    server = await startMetricsServer({ listen: '127.0.0.1:0', tokenFile, registry: source, log });
    token = readFileSync(tokenFile, 'utf8').trim();
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback with a port of its own', () => {
    assert.equal(server.address.host, '127.0.0.1');
    assert.ok(server.address.port > 0);
  });

  it('answers GET /metrics with the bearer token, in the registry content type', async () => {
    const r = await httpGet(server.address.port, '/metrics', { headers: auth() });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.body, EXPOSITION);
  });

  it('401 without a token, with a wrong one and with near misses; before the path is even looked at', async () => {
    const port = server.address.port;
    const none = await httpGet(port, '/metrics');
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).code, 'VIW_E_AUTH_REQUIRED');
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="viworks-metrics"/);
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const header of [
      `Bearer ${flipped}`,
      `Bearer ${token}A`,
      `Bearer ${token.slice(0, -1)}`,
      `bearer ${token}`,
      `Bearer  ${token}`,
      `Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
      token,
      'Bearer',
    ]) {
      const r = await httpGet(port, '/metrics', { headers: { authorization: header } });
      assert.equal(r.status, 401, header.replace(token, '<token>'));
      assert.equal(JSON.parse(r.body).code, 'VIW_E_TOKEN_INVALID');
    }
    assert.equal((await httpGet(port, '/elsewhere')).status, 401, 'no 404 for strangers');
    assert.equal((await httpGet(port, '/metrics', { method: 'POST' })).status, 401);
  });

  it('serves only GET /metrics, with no body', async () => {
    const port = server.address.port;
    const other = await httpGet(port, '/metrics/extra', { headers: auth() });
    assert.equal(other.status, 404);
    assert.equal(JSON.parse(other.body).code, 'VIW_E_NOT_FOUND');
    assert.equal((await httpGet(port, '/', { headers: auth() })).status, 404);
    const post = await httpGet(port, '/metrics', { method: 'POST', headers: auth() });
    assert.equal(post.status, 400);
    assert.equal(post.headers.allow, 'GET');
    const before = calls;
    const withBody = await httpGet(port, '/metrics', {
      headers: { ...auth(), 'content-type': 'text/plain', 'content-length': '100' },
      body: 'x'.repeat(100),
    });
    assert.equal(withBody.status, 413);
    assert.equal(JSON.parse(withBody.body).code, 'VIW_E_BODY_TOO_LARGE');
    const chunked = await httpGet(port, '/metrics', {
      headers: { ...auth(), 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(100),
    });
    assert.equal(chunked.status, 413);
    assert.equal(calls, before, 'nothing collected for them');
    const empty = await httpGet(port, '/metrics', { headers: { ...auth(), 'content-length': '0' } });
    assert.equal(empty.status, 200, 'an explicit empty body is no body');
    assert.equal(
      (await httpGet(port, '/metrics?x=1', { headers: auth() })).status,
      200,
      'a query is ignored',
    );
  });

  it('refuses oversized headers at the edge', async () => {
    const r = await httpGet(server.address.port, '/metrics', {
      headers: { ...auth(), 'x-pad': 'p'.repeat(9000) },
    });
    assert.equal(r.status, 431);
  });

  it('collects once for concurrent scrapes', async () => {
    const before = calls;
    const replies = await Promise.all(
      [0, 1, 2, 3].map(() => httpGet(server.address.port, '/metrics', { headers: auth() })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 200, 200],
    );
    assert.equal(calls - before, 1);
  });

  it('answers 500 without details when a collector fails, and logs only the error class', async () => {
    fail = true;
    try {
      const r = await httpGet(server.address.port, '/metrics', { headers: auth() });
      assert.equal(r.status, 500);
      assert.equal(JSON.parse(r.body).code, 'VIW_E_INTERNAL');
      assert.ok(!r.body.includes('s3cret'));
    } finally {
      fail = false;
    }
    assert.ok(log.lines.some((l) => l === 'error metrics: collecting failed (Error)'));
  });

  it('never writes the token to its log; refusals are logged, bounded', () => {
    const text = log.lines.join('\n');
    assert.ok(!text.includes(token));
    const refusals = log.lines.filter((l) => l.includes('refused without a valid bearer token'));
    assert.equal(refusals.length, 1, 'the first refusal, then at most one line a minute');
  });

  it('stops listening on close', async () => {
    const port = server.address.port;
    await server.close();
    await assert.rejects(httpGet(port, '/metrics', { headers: auth() }));
  });
});
