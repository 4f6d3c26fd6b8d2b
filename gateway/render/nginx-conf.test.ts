import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import {
  renderViewerLocation,
  renderViewerServerConf,
  type ViewerLocationConf,
  type ViewerServerConf,
  viewerStartUri,
} from './nginx-conf.js';
import { GENERATED_HEADER } from './values.js';

const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

const server: ViewerServerConf = {
  listenAddress: '10.8.0.1',
  port: 8080,
  pidFile: '/var/lib/viworks-gw/viewer/nginx.pid',
  accessLog: '/var/lib/viworks-gw/viewer-access.jsonl',
  tempDir: '/var/lib/viworks-gw/viewer/tmp',
  locationsDir: '/var/lib/viworks-gw/viewer/locations',
  workerUser: { user: 'www-data', group: 'www-data' },
};

const PATH = '/b/Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-Ab0_-xy/';
const location: ViewerLocationConf = {
  session: `s-${'c'.repeat(32)}`,
  path: PATH,
  clientAddress: '10.8.0.7',
  upstreamAddress: '10.255.0.6',
  upstreamPort: 6080,
};

/** The lines of the block that starts with `head {`. */
function block(text: string, head: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${head} {`);
  assert.notEqual(start, -1, `no block ${head}`);
  const end = lines.indexOf('}', start);
  return lines.slice(start + 1, end).map((l) => l.trim());
}

describe('renderViewerServerConf', () => {
  const out = renderViewerServerConf(server);

  test('listens on the VPN server address and port only', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    const listens = out.split('\n').filter((l) => l.trim().startsWith('listen '));
    assert.deepEqual(listens, ['    listen 10.8.0.1:8080 default_server;']);
    assert.doesNotMatch(out, /0\.0\.0\.0|\[::\]/);
  });

  test('refuses the wildcard address and anything that is not one IPv4 address', () => {
    assert.throws(() => renderViewerServerConf({ ...server, listenAddress: '0.0.0.0' }), isConfigError);
    assert.throws(() => renderViewerServerConf({ ...server, listenAddress: '10.8.0.1; x' }), isConfigError);
    assert.throws(() => renderViewerServerConf({ ...server, accessLog: '/tmp/a log' }), isConfigError);
  });

  test('no version, no listings, security headers, everything unknown is 404', () => {
    for (const d of [
      'server_tokens off;',
      'autoindex off;',
      'add_header X-Content-Type-Options nosniff always;',
      'add_header Referrer-Policy no-referrer always;',
      'add_header X-Frame-Options DENY always;',
      'location = / { return 404; }',
      'location / { return 404; }',
      `include ${server.locationsDir}/*.conf;`,
    ])
      assert.ok(out.includes(d), d);
    const csp = /Content-Security-Policy "([^"]+)"/.exec(out)?.[1] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self' ws:\/\/10\.8\.0\.1:8080(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  test('the access log format names the session and never the URI, the request line or the Referer', () => {
    const format = /log_format viworks_viewer escape=json '([^']+)';/.exec(out)?.[1];
    assert.ok(format);
    assert.match(format, /\$remote_addr/);
    assert.match(format, /\$viw_session/);
    assert.match(format, /\$status/);
    assert.match(format, /\$bytes_sent/);
    for (const leak of [
      '$request"',
      '$request,',
      '$uri',
      '$request_uri',
      '$args',
      '$query_string',
      '$http_referer',
    ])
      assert.ok(!format.includes(leak), leak);
    assert.match(out, /access_log \/var\/lib\/viworks-gw\/viewer-access\.jsonl viworks_viewer;/);
    // nginx puts the request line into every per-request error: its error log goes nowhere.
    assert.match(out, /^error_log \/dev\/null emerg;$/m);
  });
});

describe('renderViewerLocation', () => {
  const out = renderViewerLocation(location);

  test('the proxy allows the session address only and speaks websocket to its sandbox', () => {
    const proxy = block(out, `location ^~ ${PATH}`);
    assert.deepEqual(proxy.slice(0, 3), [
      `set $viw_session ${location.session};`,
      'allow 10.8.0.7;',
      'deny all;',
    ]);
    for (const d of [
      'proxy_pass http://10.255.0.6:6080/;',
      'proxy_http_version 1.1;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $viw_connection_upgrade;',
      'proxy_read_timeout 1h;',
      'proxy_set_header Referer "";',
    ])
      assert.ok(proxy.includes(d), d);
    assert.equal(proxy.filter((l) => l.startsWith('allow ')).length, 1);
  });

  test('the redirect to the noVNC page checks the address itself (return runs before allow/deny)', () => {
    const redirect = block(out, `location = ${PATH}`);
    assert.ok(redirect.includes('if ($remote_addr != "10.8.0.7") { return 403; }'));
    const ifAt = redirect.findIndex((l) => l.startsWith('if '));
    const returnAt = redirect.findIndex((l) => l.startsWith('return 302'));
    assert.ok(ifAt !== -1 && ifAt < returnAt);
    assert.equal(redirect[returnAt], `return 302 ${viewerStartUri(PATH)};`);
    assert.match(viewerStartUri(PATH), new RegExp(`path=${PATH.slice(1)}websockify$`));
  });

  test('the path without its slash is a plain 404, like an unknown path', () => {
    assert.deepEqual(block(out, `location = ${PATH.slice(0, -1)}`), [
      `set $viw_session ${location.session};`,
      'return 404;',
    ]);
  });

  test('refuses a path that is not BROWSER_PATH, a bad session id or address (near misses)', () => {
    const bad: Partial<ViewerLocationConf>[] = [
      { path: `${PATH.slice(0, -2)}/` },
      { path: `${PATH.slice(0, -1)}x/` },
      { path: PATH.replace('A', ';') },
      { path: PATH.replace('A', '.') },
      { session: `s-${'C'.repeat(32)}` },
      { clientAddress: '10.8.0.07' },
      { clientAddress: '10.8.0.7 ' },
      { upstreamPort: 0 },
    ];
    for (const b of bad)
      assert.throws(() => renderViewerLocation({ ...location, ...b }), isConfigError, JSON.stringify(b));
  });
});
