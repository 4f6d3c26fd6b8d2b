// browser_spawn / browser_terminate end to end with real programs: viworks-gw run as sshd would run it
// (SSH_ORIGINAL_COMMAND, stdin) inside a "node" namespace, Debian's nginx, the real browser sandbox
// (gateway/browser/: bwrap, Xvfb, x11vnc, Chromium, websockify, nft) and a web service behind the
// node. Two "clients" stand for two VPN sessions: namespaces joined to the node by point-to-point
// veths with the sessions' pinned addresses (OpenVPN itself is covered by the other lab tests; here
// the tunnel side is just addresses). The node state (applied settings, pinned sessions) is written
// as vpn_user_create and apply_config would leave it.
//
// Asserts: the viewer URL answers noVNC and its websocket to its own session's address only; the
// other session's address, and another session's path, are refused; the path is in no log; a
// repeated spawn answers the same URL; terminate, vpn_user_delete and the expiry prune remove the
// location and the sandbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserSpawnInput } from '../../core/gateway/browser.js';
import type { GatewayReply } from '../../core/gateway/control.js';
import { IP, NsProcess, run, runOk } from '../../scripts/testkit/netns.js';
import { needPeers } from '../../scripts/testkit/peers.js';
import { sandboxPids } from '../browser/procs.js';
import { listBrowserSandboxes } from '../browser/sandbox.js';
import { policyFile, readState } from '../browser/state.js';
import { sampleSettings } from '../render/test-fixtures.js';
import { readSessions, writeApplied, writeSessions } from '../state/node-state.js';
import { GW_BIN } from '../testing/gw-lab.js';
import { createNodeConfig, type NodeConfigFixture } from '../testing/node-config-fixture.js';
import { sandboxPaths, viewerPaths } from './browser-paths.js';
import { nginxPid, stopViewer } from './viewer-nginx.js';

const peers = needPeers({
  binaries: [
    '/usr/sbin/nginx',
    '/usr/bin/bwrap',
    '/usr/bin/Xvfb',
    '/usr/bin/x11vnc',
    '/usr/bin/websockify',
    '/usr/bin/chromium',
    '/usr/sbin/nft',
    '/usr/bin/nsenter',
    IP,
  ],
  root: true,
  apt: 'nginx bubblewrap xvfb x11vnc websockify novnc chromium python3-seccomp nftables iproute2',
});

const tag = randomBytes(3).toString('hex');
const NS = { gw: `viwhc-gw-${tag}`, c1: `viwhc-c1-${tag}`, c2: `viwhc-c2-${tag}`, tg: `viwhc-tg-${tag}` };
const SERVER = '10.8.0.1';
const ADDR1 = '10.8.0.2';
const ADDR2 = '10.8.0.3';
const NODE_ON_TARGET = '172.31.78.1';
const TARGET = '172.31.78.2';
const TARGET_PORT = 8080;
const S1 = `s-${randomBytes(16).toString('hex')}`;
const S2 = `s-${randomBytes(16).toString('hex')}`;
const S3 = `s-${randomBytes(16).toString('hex')}`;
const LATER = Math.floor(Date.now() / 1000) + 3600;

const spawnDoc = (over: Partial<BrowserSpawnInput> = {}): BrowserSpawnInput => ({
  targets: [{ name: 'wiki', host: TARGET, port: TARGET_PORT }],
  clipboard: false,
  file_transfer: false,
  limits: { memory_mb: 1024, pids: 1024, cpu_pct: 200 },
  expires_at: LATER,
  ...over,
});

/** An HTTP GET from a namespace: status, the headers we check, noVNC or not, Location. */
const GET_JS = `require('http').get(process.argv[1],r=>{let b='';r.on('data',c=>b+=c).on('end',()=>console.log(JSON.stringify({
status:r.statusCode,location:r.headers.location??null,csp:r.headers['content-security-policy']??null,
xfo:r.headers['x-frame-options']??null,server:r.headers.server??null,novnc:/noVNC/.test(b)})))}).on('error',e=>console.log(JSON.stringify({error:e.code})))`;
/** A websocket upgrade from a namespace: the status line, and whether the VNC greeting came through. */
const UPGRADE_JS = `const u=new URL(process.argv[1]);const s=require('net').connect(+u.port,u.hostname,()=>s.write(
'GET '+u.pathname+' HTTP/1.1\\r\\nHost: '+u.host+'\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'+
'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: binary\\r\\n\\r\\n'));
s.setTimeout(8000,()=>{console.log(got.split('\\r\\n')[0]||'timeout');process.exit(0)});
let got='';s.on('data',b=>{got+=b.toString('latin1');if(/RFB 00[0-9]\\.00[0-9]/.test(got)){
console.log(got.split('\\r\\n')[0]+' / RFB');s.destroy();process.exit(0)}});
s.on('end',()=>{console.log(got.split('\\r\\n')[0]);process.exit(0)});s.on('error',e=>console.log(e.code));`;

interface Got {
  status?: number;
  location?: string | null;
  csp?: string | null;
  xfo?: string | null;
  server?: string | null;
  novnc?: boolean;
  error?: string;
}

async function getFrom(ns: string, url: string): Promise<Got> {
  const out = await runOk([IP, 'netns', 'exec', ns, process.execPath, '-e', GET_JS, url], {
    timeoutMs: 15_000,
  });
  return JSON.parse(out.trim()) as Got;
}

async function upgradeFrom(ns: string, url: string): Promise<string> {
  return (
    await runOk([IP, 'netns', 'exec', ns, process.execPath, '-e', UPGRADE_JS, url], { timeoutMs: 15_000 })
  ).trim();
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('browser verbs with real nginx and a real sandbox (root, netns)', {
  skip: peers.skip,
  timeout: 600_000,
}, () => {
  let fx: NodeConfigFixture;
  const procs: NsProcess[] = [];
  let url1 = '';
  let url2 = '';
  let web = '';

  /** What the document's switches became in the sandbox: x11vnc's -nosel, Chromium's DownloadRestrictions. */
  async function switchesOf(id: string): Promise<{ nosel: boolean; downloadRestrictions: unknown }> {
    const dir = sandboxPaths(fx.config, null).stateDir;
    const policy = JSON.parse(readFileSync(policyFile(dir, id), 'utf8')) as Record<string, unknown>;
    const s = (await readState(dir, id))!;
    const pids = await sandboxPids({ netns: s.netns, keeperPid: s.keeper_pid, cgroupDirs: s.cgroup_dirs });
    const x11vnc = pids
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })
      .find((c) => c.startsWith('x11vnc\0'));
    assert.ok(x11vnc, 'x11vnc runs');
    return {
      nosel: x11vnc.split('\0').includes('-nosel'),
      downloadRestrictions: policy.DownloadRestrictions,
    };
  }

  async function gw(command: string, stdin?: unknown): Promise<{ reply: GatewayReply; exit: number | null }> {
    // nsenter, not `ip netns exec`: that one runs its command in a mount namespace of its own (a
    // slave of the host's), so the namespace mounts the sandbox code makes (`ip netns add`) would
    // vanish with each request. On a node viworks-gw runs in the host's namespaces, as here.
    const r = await run(
      [
        '/usr/bin/nsenter',
        `--net=/run/netns/${NS.gw}`,
        '--',
        '/usr/bin/env',
        '-i',
        'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
        `SSH_ORIGINAL_COMMAND=${command}`,
        'SSH_CLIENT=10.0.0.1 40000 2222',
        process.execPath,
        '--import',
        'tsx',
        GW_BIN,
        '--config',
        fx.path,
      ],
      { input: stdin === undefined ? '' : JSON.stringify(stdin), timeoutMs: 120_000 },
    );
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      return { reply: JSON.parse(last) as GatewayReply, exit: r.code };
    } catch {
      throw new Error(`viworks-gw ${command}: no reply (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    }
  }

  before(async () => {
    for (const ns of Object.values(NS)) {
      await runOk([IP, 'netns', 'add', ns]);
      await runOk([IP, '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // The tunnel side: the node's server address on a point-to-point link to each session's address.
    for (const [i, ns, addr] of [[1, NS.c1, ADDR1] as const, [2, NS.c2, ADDR2] as const]) {
      const node = `vhcn${i}${tag}`;
      const peer = `vhcc${i}${tag}`;
      await runOk([
        IP,
        'link',
        'add',
        node,
        'netns',
        NS.gw,
        'type',
        'veth',
        'peer',
        'name',
        peer,
        'netns',
        ns,
      ]);
      await runOk([IP, '-n', NS.gw, 'addr', 'add', `${SERVER}/32`, 'peer', `${addr}/32`, 'dev', node]);
      await runOk([IP, '-n', ns, 'addr', 'add', `${addr}/32`, 'peer', `${SERVER}/32`, 'dev', peer]);
      await runOk([IP, '-n', NS.gw, 'link', 'set', node, 'up']);
      await runOk([IP, '-n', ns, 'link', 'set', peer, 'up']);
    }
    // The network behind the node, with the granted web service.
    await runOk([
      IP,
      'link',
      'add',
      `vhct${tag}`,
      'netns',
      NS.gw,
      'type',
      'veth',
      'peer',
      'name',
      `vhcw${tag}`,
      'netns',
      NS.tg,
    ]);
    await runOk([IP, '-n', NS.gw, 'addr', 'add', `${NODE_ON_TARGET}/24`, 'dev', `vhct${tag}`]);
    await runOk([IP, '-n', NS.tg, 'addr', 'add', `${TARGET}/24`, 'dev', `vhcw${tag}`]);
    await runOk([IP, '-n', NS.gw, 'link', 'set', `vhct${tag}`, 'up']);
    await runOk([IP, '-n', NS.tg, 'link', 'set', `vhcw${tag}`, 'up']);
    web = mkdtempSync(join(tmpdir(), 'viwhc-web-'));
    writeFileSync(join(web, 'index.html'), '<html><body><h1>internal wiki</h1></body></html>');
    const server = new NsProcess(
      'web',
      spawn(
        IP,
        [
          'netns',
          'exec',
          NS.tg,
          '/usr/bin/python3',
          '-u',
          '-m',
          'http.server',
          '--bind',
          TARGET,
          '--directory',
          web,
          String(TARGET_PORT),
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    procs.push(server);
    assert.ok(await server.waitFor(/Serving HTTP/, 10_000), server.output);

    fx = createNodeConfig({ listenAddress: '198.51.100.7' });
    writeApplied(fx.config.state_dir, { v: 1, config_id: null, settings: sampleSettings(), services: {} });
    writeSessions(fx.config.state_dir, {
      v: 1,
      sessions: {
        [S1]: { expires_at: LATER, address: ADDR1 },
        [S2]: { expires_at: LATER, address: ADDR2 },
        [S3]: { expires_at: LATER, address: '10.8.0.4' },
      },
    });
  });

  after(async () => {
    if (fx) {
      for (const s of [S1, S2, S3]) await gw(`browser_terminate ${s}`).catch(() => undefined);
      // Our own nginx instance, by the PID in its own pid file (checked against /proc/<pid>/comm).
      await stopViewer(viewerPaths(fx.config.state_dir));
    }
    await Promise.all(procs.map((p) => p.stop()));
    for (const ns of Object.values(NS)) await run([IP, 'netns', 'del', ns]);
    if (fx) rmSync(fx.root, { recursive: true, force: true });
    if (web) rmSync(web, { recursive: true, force: true });
  });

  test('browser_spawn answers the viewer URL on the VPN server address; nginx started lazily', async () => {
    assert.equal(nginxPid(viewerPaths(fx.config.state_dir)), null);
    const { reply, exit } = await gw(`browser_spawn ${S1}`, spawnDoc());
    assert.equal(exit, 0, JSON.stringify(reply));
    const r = reply.result as { url: string; targets: string[]; session: string };
    assert.match(r.url, /^http:\/\/10\.8\.0\.1:8080\/b\/[A-Za-z0-9_-]{32}\/$/);
    assert.deepEqual(r.targets, ['wiki']);
    assert.equal(reply.changed, true);
    url1 = r.url;
    // The document's switches (both off) reached the sandbox.
    assert.deepEqual(await switchesOf(S1), { nosel: true, downloadRestrictions: 3 });
    const pid = nginxPid(viewerPaths(fx.config.state_dir));
    assert.notEqual(pid, null);
    // health reports the viewer while a session has a browser.
    const h = (await gw('health')).reply.result as { services: Record<string, unknown> };
    assert.deepEqual(h.services.viewer, { running: true, pid });
  });

  test('from its own session address: redirect, noVNC page with security headers, websocket to VNC', async () => {
    const first = await getFrom(NS.c1, url1);
    assert.equal(first.status, 302, JSON.stringify(first));
    const path = new URL(url1).pathname;
    assert.equal(
      first.location,
      `${path}vnc.html?autoconnect=true&reconnect=true&resize=remote&path=${path.slice(1)}websockify`,
    );
    const page = await getFrom(NS.c1, `${url1}vnc.html`);
    assert.equal(page.status, 200);
    assert.equal(page.novnc, true);
    assert.equal(page.xfo, 'DENY');
    assert.match(page.csp ?? '', /connect-src 'self' ws:\/\/10\.8\.0\.1:8080/);
    assert.ok(!/[0-9]/.test(page.server ?? ''), `no version in Server: ${page.server}`);
    assert.match(await upgradeFrom(NS.c1, `${url1}websockify`), /^HTTP\/1\.1 101 .* \/ RFB$/);
    const dir = await getFrom(NS.c1, `${url1}app/`);
    assert.equal(dir.status, 404, 'no directory listing');
  });

  test('from another session address the same URL is refused (page, redirect and websocket)', async () => {
    assert.equal((await getFrom(NS.c2, url1)).status, 403);
    assert.equal((await getFrom(NS.c2, `${url1}vnc.html`)).status, 403);
    assert.match(await upgradeFrom(NS.c2, `${url1}websockify`), /^HTTP\/1\.1 403/);
    assert.equal((await getFrom(NS.c1, `http://${SERVER}:8080/`)).status, 404);
    assert.equal((await getFrom(NS.c1, `http://${SERVER}:8080/b/${'A'.repeat(32)}/`)).status, 404);
  });

  test("another session's path is refused to the first session", async () => {
    const { reply, exit } = await gw(
      `browser_spawn ${S2}`,
      spawnDoc({ clipboard: true, file_transfer: true }),
    );
    assert.equal(exit, 0, JSON.stringify(reply));
    // Near miss of the first spawn: this document turns both switches on.
    assert.deepEqual(await switchesOf(S2), { nosel: false, downloadRestrictions: 0 });
    url2 = (reply.result as { url: string }).url;
    assert.notEqual(url2, url1);
    assert.equal((await getFrom(NS.c2, `${url2}vnc.html`)).status, 200);
    assert.equal((await getFrom(NS.c1, `${url2}vnc.html`)).status, 403);
  });

  test('spawning again answers the same URL, changed false; another document is a conflict', async () => {
    const again = await gw(`browser_spawn ${S1}`, spawnDoc());
    assert.equal(again.exit, 0, JSON.stringify(again.reply));
    assert.equal((again.reply.result as { url: string }).url, url1);
    assert.equal(again.reply.changed, false);
    const other = await gw(
      `browser_spawn ${S1}`,
      spawnDoc({ targets: [{ name: 'other', host: TARGET, port: TARGET_PORT }] }),
    );
    assert.equal(other.reply.error?.code, 'VIW_E_CONFLICT');
    // The conflict leaves the running browser alone.
    assert.equal((await getFrom(NS.c1, `${url1}vnc.html`)).status, 200);
  });

  test('the random paths are in no log: audit, access log, sandbox logs (only the 0600 state names them)', () => {
    const secrets = [url1, url2].map((u) => new URL(u).pathname.slice(3, -1));
    const allowed = new Set([
      join(fx.config.state_dir, 'browsers.json'),
      join(viewerPaths(fx.config.state_dir).locationsDir, `${S1}.conf`),
      join(viewerPaths(fx.config.state_dir).locationsDir, `${S2}.conf`),
    ]);
    const access = readFileSync(viewerPaths(fx.config.state_dir).accessLog, 'utf8');
    assert.match(access, new RegExp(`"session":"${S1}"`));
    assert.match(access, new RegExp(`"remote_addr":"${ADDR2}".*"status":"403"`));
    for (const file of filesUnder(fx.root)) {
      const text = readFileSync(file).toString('latin1');
      const leaks = secrets.filter((s) => text.includes(s));
      if (allowed.has(file)) {
        assert.equal((statSync(file).mode & 0o777).toString(8), '600', file);
        continue;
      }
      assert.deepEqual(leaks, [], `a viewer path in ${file}`);
    }
  });

  test('browser_terminate removes the location and the sandbox; again: removed false', async () => {
    const { reply } = await gw(`browser_terminate ${S1}`);
    assert.deepEqual(reply.result, { session: S1, removed: true });
    assert.equal((await getFrom(NS.c1, `${url1}vnc.html`)).status, 404);
    const ids = (await listBrowserSandboxes(sandboxPaths(fx.config, null))).map((s) => s.id);
    assert.ok(!ids.includes(S1));
    const again = await gw(`browser_terminate ${S1}`);
    assert.deepEqual(again.reply.result, { session: S1, removed: false });
    assert.equal(again.reply.changed, false);
  });

  test('vpn_user_delete ends the session browser too', async () => {
    const { reply, exit } = await gw(`vpn_user_delete ${S2}`);
    assert.equal(exit, 0, JSON.stringify(reply));
    assert.equal((await getFrom(NS.c2, `${url2}vnc.html`)).status, 404);
    const ids = (await listBrowserSandboxes(sandboxPaths(fx.config, null))).map((s) => s.id);
    assert.ok(!ids.includes(S2));
  });

  test('the expiry prune at the start of any request ends an expired session browser', async () => {
    const spawned = await gw(`browser_spawn ${S3}`, spawnDoc());
    assert.equal(spawned.exit, 0, JSON.stringify(spawned.reply));
    // The session expires (as if its time had come): the next request, whatever it is, prunes it.
    const state = readSessions(fx.config.state_dir);
    const rec = state.sessions[S3];
    assert.ok(rec);
    rec.expires_at = Math.floor(Date.now() / 1000) - 1;
    writeSessions(fx.config.state_dir, state);
    const h = (await gw('health')).reply.result as { services: Record<string, unknown> };
    assert.equal('viewer' in h.services, false, 'no browser left, no viewer expected');
    const ids = (await listBrowserSandboxes(sandboxPaths(fx.config, null))).map((s) => s.id);
    assert.deepEqual(ids, []);
    assert.deepEqual(readdirSync(viewerPaths(fx.config.state_dir).locationsDir), []);
  });

  test('fail closed: when nginx refuses the reload that withdraws a location, it stops serving', async () => {
    const spawned = await gw(`browser_spawn ${S1}`, spawnDoc());
    assert.equal(spawned.exit, 0, JSON.stringify(spawned.reply));
    const url = (spawned.reply.result as { url: string }).url;
    assert.equal((await getFrom(NS.c1, `${url}vnc.html`)).status, 200);
    const broken = join(viewerPaths(fx.config.state_dir).locationsDir, 'zz-broken.conf');
    writeFileSync(broken, 'this is not nginx;\n');
    try {
      const { reply } = await gw(`browser_terminate ${S1}`);
      assert.deepEqual(reply.result, { session: S1, removed: true });
      assert.equal(nginxPid(viewerPaths(fx.config.state_dir)), null);
      assert.equal((await getFrom(NS.c1, `${url}vnc.html`)).error, 'ECONNREFUSED');
    } finally {
      rmSync(broken, { force: true });
    }
  });
});
