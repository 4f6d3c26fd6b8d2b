// nginx in front of the per-session browser sandboxes (issue #18, core/gateway/browser.ts): one server
// on the tunnel side of the node only (the VPN server address, never 0.0.0.0 nor the public address),
// and per session one location at its random path, reachable only from that session's pinned VPN
// address, proxying (websocket included) to its sandbox's noVNC + websockify.
//
// The random path is a capability, so it must never reach a log: the access log format names the
// session by a variable each location sets, never `$request`/`$uri`/`$http_referer`; nginx's own
// error log is discarded because nginx appends the request line to every per-request error (start-up
// errors still come back on stderr, which viworks-gw redacts); the upstream sees `/vnc.html`, not the
// path (proxy_pass with a URI replaces the prefix), and no Referer.
import { join } from 'node:path';
import { BROWSER_PATH } from '../../core/gateway/browser.js';
import { SESSION_WIRE_ID } from '../../core/gateway/control.js';
import { checkIpv4, checkPath, checkPort, checkUnixName, configError, renderLines } from './values.js';

/** nginx's access log of the viewer (no paths in it): beside the node's other logs, shipped to the SIEM. */
export const viewerAccessLogIn = (stateDir: string): string => join(stateDir, 'viewer-access.jsonl');

export interface ViewerServerConf {
  /** The node's VPN server address (first host of the VPN pool): the only address nginx binds. */
  readonly listenAddress: string;
  readonly port: number;
  readonly pidFile: string;
  readonly accessLog: string;
  /** nginx's temporary files (client bodies, proxy buffers). */
  readonly tempDir: string;
  /** Each session's location is one `<s-id>.conf` file in here. */
  readonly locationsDir: string;
  /** The user nginx's workers drop to (the master runs as root); null: no `user` directive. */
  readonly workerUser: { readonly user: string; readonly group: string } | null;
}

export interface ViewerLocationConf {
  readonly session: string;
  /** `/b/<32 base64url>/` (BROWSER_PATH). */
  readonly path: string;
  /** The session's pinned VPN address: the only source allowed. */
  readonly clientAddress: string;
  /** The sandbox's viewer (noVNC + websockify). */
  readonly upstreamAddress: string;
  readonly upstreamPort: number;
}

/** Names the session in the access log (the path itself is never logged). */
export const SESSION_LOG_VARIABLE = '$viw_session';

/**
 * One line per request, JSON-escaped, with no part of the URI nor the Referer: the source, the
 * session the location belongs to ("-" for no session's location), status, bytes, duration.
 */
const ACCESS_LOG_FORMAT = [
  '{"ts":"$time_iso8601"',
  '"remote_addr":"$remote_addr"',
  `"session":"${SESSION_LOG_VARIABLE}"`,
  '"method":"$request_method"',
  '"status":"$status"',
  '"bytes_sent":"$bytes_sent"',
  '"request_time":"$request_time"',
  '"upstream_status":"$upstream_status"}',
].join(',');

/**
 * noVNC 1.3 (Debian's /usr/share/novnc) needs nothing inline: its page loads its scripts and styles
 * as files, sets styles through the CSSOM (not governed by style-src), draws cursors from `data:`
 * images, and opens its websocket to the page's own host and port.
 */
export function contentSecurityPolicy(listenAddress: string, port: number): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ws://${listenAddress}:${port}`,
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function checkServer(c: ViewerServerConf): ViewerServerConf {
  checkIpv4('viewer.listenAddress', c.listenAddress);
  if (c.listenAddress === '0.0.0.0') throw configError('viewer.listenAddress', 'must be one address');
  checkPort('viewer.port', c.port);
  for (const [k, v] of Object.entries({
    pidFile: c.pidFile,
    accessLog: c.accessLog,
    tempDir: c.tempDir,
    locationsDir: c.locationsDir,
  }))
    checkPath(`viewer.${k}`, v);
  if (c.workerUser) {
    checkUnixName('viewer.workerUser.user', c.workerUser.user);
    checkUnixName('viewer.workerUser.group', c.workerUser.group);
  }
  return c;
}

/** The whole nginx.conf of the viewer (`nginx -c <it> -p <dir>/`). */
export function renderViewerServerConf(conf: ViewerServerConf): string {
  const c = checkServer(conf);
  const t = c.tempDir;
  return renderLines([
    ...(c.workerUser ? [`user ${c.workerUser.user} ${c.workerUser.group};`] : []),
    `pid ${c.pidFile};`,
    '# Discarded on purpose: nginx writes the request line, and so the session path, into every',
    '# per-request error. Outcomes are in the access log; start-up errors on stderr.',
    'error_log /dev/null emerg;',
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    '  server_tokens off;',
    '  autoindex off;',
    '  access_log off;',
    `  log_format viworks_viewer escape=json '${ACCESS_LOG_FORMAT}';`,
    '  map $http_upgrade $viw_connection_upgrade { default upgrade; "" close; }',
    `  client_body_temp_path ${t}/client_body;`,
    `  proxy_temp_path ${t}/proxy;`,
    `  fastcgi_temp_path ${t}/fastcgi;`,
    `  uwsgi_temp_path ${t}/uwsgi;`,
    `  scgi_temp_path ${t}/scgi;`,
    '  # noVNC uploads nothing: small bodies, kept in memory; proxied responses never spill to disk.',
    '  client_max_body_size 8k;',
    '  client_body_buffer_size 8k;',
    '  proxy_max_temp_file_size 0;',
    '  server {',
    `    listen ${c.listenAddress}:${c.port} default_server;`,
    '    server_name _;',
    '    absolute_redirect off;',
    `    access_log ${c.accessLog} viworks_viewer;`,
    `    set ${SESSION_LOG_VARIABLE} "-";`,
    '    add_header X-Content-Type-Options nosniff always;',
    '    add_header Referrer-Policy no-referrer always;',
    '    add_header X-Frame-Options DENY always;',
    '    add_header Cache-Control "no-store" always;',
    `    add_header Content-Security-Policy "${contentSecurityPolicy(c.listenAddress, c.port)}" always;`,
    '    location = / { return 404; }',
    '    location / { return 404; }',
    `    include ${c.locationsDir}/*.conf;`,
    '  }',
    '}',
  ]);
}

function checkLocation(l: ViewerLocationConf): ViewerLocationConf {
  if (!new RegExp(SESSION_WIRE_ID).test(l.session)) throw configError('viewer.session', 'not a session id');
  if (!new RegExp(BROWSER_PATH).test(l.path)) throw configError('viewer.path', 'not a viewer path');
  checkIpv4('viewer.clientAddress', l.clientAddress);
  checkIpv4('viewer.upstreamAddress', l.upstreamAddress);
  checkPort('viewer.upstreamPort', l.upstreamPort);
  return l;
}

/** The noVNC page that connects itself, its websocket under the same random path. */
export function viewerStartUri(path: string): string {
  return `${path}vnc.html?autoconnect=true&reconnect=true&resize=remote&path=${path.slice(1)}websockify`;
}

/**
 * One session's locations (a file included by the server). The proxy allows only the session's
 * address (access phase). The redirect to the noVNC page is a `return`, which runs in the rewrite
 * phase before allow/deny are looked at, so it checks the address itself with an `if` (the
 * documented safe use of `if`: only rewrite-module directives inside). The path without its slash,
 * and any directory below it, answer 404 like an unknown path (nginx's automatic 301 to the slashed
 * form would tell anyone the path exists; websockify would list the directory).
 */
export function renderViewerLocation(loc: ViewerLocationConf): string {
  const l = checkLocation(loc);
  const session = `    set ${SESSION_LOG_VARIABLE} ${l.session};`;
  return renderLines([
    `# ${l.session}`,
    `location = ${l.path.slice(0, -1)} {`,
    session,
    '    return 404;',
    '}',
    `location = ${l.path} {`,
    session,
    `    if ($remote_addr != "${l.clientAddress}") { return 403; }`,
    `    return 302 ${viewerStartUri(l.path)};`,
    '}',
    `location ^~ ${l.path} {`,
    session,
    `    allow ${l.clientAddress};`,
    '    deny all;',
    `    proxy_pass http://${l.upstreamAddress}:${l.upstreamPort}/;`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Connection $viw_connection_upgrade;',
    '    proxy_set_header Referer "";',
    '    proxy_set_header Cookie "";',
    '    proxy_read_timeout 1h;',
    '    proxy_send_timeout 1h;',
    "    # websockify's file server lists directories: nothing below the path is one.",
    '    location ~ /$ { return 404; }',
    '}',
  ]);
}
