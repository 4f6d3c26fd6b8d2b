// The admin panel as the backend serves it: its build's files only, with the panel's security
// headers (and only on the panel's answers), brotli when asked; the admin API beside it is not
// shadowed; without a build /admin/ answers 404 and the backend still serves; a build that does
// not match its list, or a configured folder without one, stops the start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync } from 'node:zlib';
import Fastify from 'fastify';
import type { AppContext } from '../context.js';
import { installErrorHandlers } from '../http/errors.js';
import { BackendRouteTable } from '../http/route-table.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { type AdminUiBuild, buildAdminUi } from './build.js';
import { ADMIN_UI_CSP, adminUiPlugin } from './serve.js';

let dir: string;
let built: AdminUiBuild;
let ts: TestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viw-admin-ui-'));
  built = await buildAdminUi(join(dir, 'ui'));
  ts = await startTestServer({ adminUiDir: built.outDir });
});
after(async () => {
  await ts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** GET with the Accept-Encoding a test chooses; the body as raw bytes. */
function getRaw(
  path: string,
  acceptEncoding: string,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ts.server.port,
        path,
        ca: ts.ca,
        servername: 'localhost',
        headers: { 'accept-encoding': acceptEncoding },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('GET /admin/', () => {
  it('builds the page, a script, a style and an icon, each with brotli and gzip copies', () => {
    const names = built.files.map((f) => f.name);
    for (const n of ['index.html', 'assets/app.js', 'assets/app.css', 'assets/icon.svg'])
      for (const suffix of ['', '.br', '.gz']) assert.ok(names.includes(`${n}${suffix}`), `${n}${suffix}`);
    assert.ok(built.scriptBytes < 700 * 1024, `script ${built.scriptBytes} bytes`);
    assert.ok(built.scriptBrotliBytes < built.scriptBytes / 3, 'brotli');
  });

  it('/admin redirects to /admin/, the page with the strict CSP and the other headers', async () => {
    const r = await ts.call('/admin');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, '/admin/');
    const page = await ts.call('/admin/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.text, /<script type="module" src="assets\/app.js"><\/script>/);
    assert.doesNotMatch(page.text, /<script>|<style|style=/, 'no inline script or style in the page');
    const csp = String(page.headers['content-security-policy']);
    assert.equal(csp.replace(/; ?/g, '; '), ADMIN_UI_CSP);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /require-trusted-types-for 'script'/);
    assert.doesNotMatch(csp, /unsafe|\*|https?:/, 'no unsafe-*, no wildcard, no other origin');
    assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(page.headers['cross-origin-resource-policy'], 'same-origin');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
  });

  it('sends the brotli copy to a browser that takes it, the file itself otherwise', async () => {
    const plain = await getRaw('/admin/assets/app.js', 'identity');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.length, built.scriptBytes);
    assert.match(String(plain.headers['content-type']), /javascript/);
    const br = await getRaw('/admin/assets/app.js', 'gzip, deflate, br');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.body.length, built.scriptBrotliBytes);
    assert.ok(brotliDecompressSync(br.body).equals(plain.body));
    assert.match(String(br.headers.vary), /accept-encoding/i);
    const css = await ts.call('/admin/assets/app.css', { headers: { 'accept-encoding': 'identity' } });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers 404 for what the build does not list, 400 for names no build can have, lists no folder', async () => {
    for (const path of [
      '/admin/assets/nope.js',
      '/admin/assets/files.js',
      '/admin/files.json',
      '/admin/assets',
    ]) {
      const r = await ts.call<{ code: string }>(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.code, 'VIW_E_NOT_FOUND', path);
    }
    for (const path of [
      '/admin/assets/', // the folder itself: never a listing
      '/admin/assets/..%2Ffiles.json',
      '/admin/assets/app.js.br',
      '/admin/assets/.env',
      '/admin/assets/APP.JS',
      '/admin/assets/index.html',
    ]) {
      const r = await ts.call<{ code: string }>(path);
      assert.equal(r.status, 400, path);
    }
    const q = await ts.call<{ code: string }>('/admin/assets/app.js?x=1');
    assert.equal(q.status, 400, 'no query on a file');
  });

  it('shadows no admin API route, and its headers stay on its own answers', async () => {
    const me = await ts.call<{ code: string }>('/admin/me');
    assert.equal(me.status, 401);
    assert.equal(me.body.code, 'VIW_E_AUTH_REQUIRED');
    const login = await ts.call<{ code: string }>('/admin/login', {
      json: { username: 'nobody', password: 'wrong password' },
      localAddress: '127.0.9.1',
    });
    assert.equal(login.status, 401);
    assert.equal(login.body.code, 'VIW_E_AUTH_FAILED');
    for (const r of [me, login, await ts.call('/health')]) {
      assert.equal(r.headers['content-security-policy'], undefined);
      assert.equal(r.headers['cross-origin-embedder-policy'], undefined);
    }
  });
});

describe('without a build', () => {
  it('/admin/ and its files answer 404 with the reason; the other routes still serve', async () => {
    const app = Fastify();
    installErrorHandlers(app);
    const routes = new BackendRouteTable(app);
    const ctx = {
      config: { adminUiDir: null },
      rate: { hit: async () => undefined },
    } as unknown as AppContext;
    await app.register(
      adminUiPlugin(() => join(dir, 'never-built')),
      { ctx, routes },
    );
    routes.handle(app, 'health', async () => ({ status: 'ok' as const, version: 'test' }));
    for (const url of ['/admin/', '/admin/assets/app.js']) {
      const r = await app.inject(url);
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().code, 'VIW_E_NOT_FOUND');
      assert.deepEqual(r.json().details, [
        'the admin panel is not installed on this backend (npm run build)',
      ]);
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
    }
    assert.equal((await app.inject('/health')).statusCode, 200);
    await app.close();
  });

  it('a file that differs from its build list stops the start (VIW_E_CONFIG)', async () => {
    const bad = await buildAdminUi(join(dir, 'tampered'));
    writeFileSync(join(bad.outDir, 'assets', 'app.js'), 'alert(1)');
    await assert.rejects(startTestServer({ adminUiDir: bad.outDir }), { code: 'VIW_E_CONFIG' });
  });

  it('a configured folder without a build stops the start (VIW_E_CONFIG)', async () => {
    await assert.rejects(startTestServer({ adminUiDir: join(dir, 'nothing') }), { code: 'VIW_E_CONFIG' });
  });
});
