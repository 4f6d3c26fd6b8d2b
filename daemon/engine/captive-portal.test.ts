// The captive portal probe against a real HTTP server on loopback playing an open network (204), a
// portal (a redirect to its sign-in page, or its page served in place), a silent network and a
// closed port — and what the probe sends: nothing that identifies the user, device or product.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { checkProbeUrl, probeCaptivePortal } from './captive-portal.js';

describe('captive portal probe', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.url === '/open') return res.writeHead(204).end();
      if (req.url === '/redirect')
        return res.writeHead(302, { location: 'https://portal.hotel.example/login?mac=aa:bb' }).end();
      if (req.url === '/page')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Sign in</h1>');
      if (req.url === '/204-with-body') return res.writeHead(200).end('x'.repeat(100_000));
      // '/silent': never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('an open network answers 204', async () => {
    assert.deepEqual(await probeCaptivePortal({ url: `${base}/open` }), { kind: 'open' });
  });

  it('a portal: a redirect (its host shown, never its path or query) or a page in place', async () => {
    assert.deepEqual(await probeCaptivePortal({ url: `${base}/redirect` }), {
      kind: 'portal',
      detail: 'redirected to portal.hotel.example',
    });
    assert.deepEqual(await probeCaptivePortal({ url: `${base}/page` }), {
      kind: 'portal',
      detail: 'answered 200 instead of 204',
    });
    assert.equal((await probeCaptivePortal({ url: `${base}/204-with-body` })).kind, 'portal');
  });

  it('no answer is not a portal', async () => {
    const silent = await probeCaptivePortal({ url: `${base}/silent`, timeoutMs: 200 });
    assert.equal(silent.kind, 'no_answer');
    const closed = await probeCaptivePortal({ url: 'http://127.0.0.1:9/' });
    assert.deepEqual(closed, { kind: 'no_answer', detail: 'ECONNREFUSED' });
  });

  it('sends nothing that identifies anyone: no user agent, cookie or query', async () => {
    seen.length = 0;
    await probeCaptivePortal({ url: `${base}/open` });
    assert.equal(seen.length, 1);
    assert.deepEqual(Object.keys(seen[0]!.headers).sort(), ['connection', 'host']);
    assert.equal(seen[0]!.url, '/open');
  });

  it('takes only a plain http:// URL without credentials', () => {
    for (const bad of ['https://example.com/', 'http://u:p@example.com/', 'ftp://example.com/', 'nonsense'])
      assert.throws(() => checkProbeUrl(bad), RangeError, bad);
    assert.equal(
      checkProbeUrl('http://connectivity-check.ubuntu.com/').host,
      'connectivity-check.ubuntu.com',
    );
  });
});
