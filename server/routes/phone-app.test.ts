// The phone app as the backend serves it: the build's files only, with the page's security
// headers, gzip when asked; a build that does not match its file list, or a configured folder
// without a build, stops the start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildPhoneApp, type PhoneAppBuild } from '../../mobile/app/build.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { PHONE_APP_CSP } from './phone-app.js';

let dir: string;
let built: PhoneAppBuild;
let ts: TestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viw-phone-app-'));
  built = await buildPhoneApp(join(dir, 'app'));
  ts = await startTestServer({ phoneAppDir: built.outDir });
});
after(async () => {
  await ts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /phone/', () => {
  it('builds a small app: page, script, style, manifest, service worker, three icons', () => {
    const names = built.files.map((f) => f.name);
    for (const n of [
      'index.html',
      'app.js',
      'app.css',
      'manifest.webmanifest',
      'sw.js',
      'icon-192.png',
      'icon-512.png',
    ])
      assert.ok(names.includes(n), n);
    assert.ok(built.scriptBytes < 300 * 1024, `script ${built.scriptBytes} bytes`);
  });

  it('/phone redirects to /phone/, which is the page with a strict CSP', async () => {
    const r = await ts.call('/phone');
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, '/phone/');
    const page = await ts.call('/phone/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.text, /<script type="module" src="app.js">/);
    assert.equal(page.headers['content-security-policy'], PHONE_APP_CSP);
    assert.match(PHONE_APP_CSP, /default-src 'none'/);
    assert.doesNotMatch(PHONE_APP_CSP, /unsafe-(inline|eval)/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(String(page.headers['strict-transport-security']), /max-age=\d{7,}/);
  });

  it('serves the manifest and icons with their types, the script gzipped when asked', async () => {
    const m = await ts.call<{ start_url: string; scope: string; display: string }>(
      '/phone/manifest.webmanifest',
    );
    assert.equal(m.headers['content-type'], 'application/manifest+json');
    assert.equal(m.body.start_url, '/phone/');
    assert.equal(m.body.scope, '/phone/');
    assert.equal(m.body.display, 'standalone');
    const icon = await ts.call('/phone/icon-192.png');
    assert.equal(icon.headers['content-type'], 'image/png');
    const plain = await ts.call('/phone/app.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(
      Number(plain.headers['content-length']),
      built.files.find((f) => f.name === 'app.js')?.bytes,
    );
    const zipped = await new Promise<Buffer>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: ts.server.port,
            path: '/phone/app.js',
            ca: ts.ca,
            servername: 'localhost',
            headers: { 'accept-encoding': 'gzip' },
          },
          (res) => {
            assert.equal(res.headers['content-encoding'], 'gzip');
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks)));
          },
        );
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.ok(zipped.length < Number(plain.headers['content-length']) / 2);
    assert.equal(gunzipSync(zipped).toString(), plain.text);
  });

  it('answers 404 for anything its build does not list, 400 for names no build can have', async () => {
    for (const path of ['/phone/files.json', '/phone/nope.js', '/phone/index.htm']) {
      const r = await ts.call<{ code: string }>(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.code, 'VIW_E_NOT_FOUND');
    }
    for (const path of ['/phone/..%2Fpackage.json', '/phone/.env', '/phone/APP.JS']) {
      const r = await ts.call<{ code: string }>(path);
      assert.equal(r.status, 400, path);
    }
  });
});

describe('loading the build', () => {
  it('a file that differs from its build list stops the start (VIW_E_CONFIG)', async () => {
    const bad = await buildPhoneApp(join(dir, 'tampered'));
    writeFileSync(join(bad.outDir, 'app.js'), 'alert(1)');
    await assert.rejects(startTestServer({ phoneAppDir: bad.outDir }), { code: 'VIW_E_CONFIG' });
  });

  it('a configured folder without a build stops the start (VIW_E_CONFIG)', async () => {
    await assert.rejects(startTestServer({ phoneAppDir: join(dir, 'nothing') }), { code: 'VIW_E_CONFIG' });
  });
});
