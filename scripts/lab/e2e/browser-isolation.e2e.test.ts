// Issue #18 end to end (lab id 208): a web target reached through an isolated browser on the
// gateway, on real peers — viworksd, the backend, the gateway over SSH (viworks-gw, nginx, the
// bubblewrap sandbox with Xvfb, x11vnc, Chromium and websockify/noVNC), and Debian's chromium in the
// client's namespace as the user's own browser.
//   1. a policy granting the internal service as a browser target is a relaxation: it waits for a
//      second administrator;
//   2. a connect lists the target; its viewer answers through the tunnel (page, websocket), the
//      remote browser fetched the internal service, and a real browser shows the remote screen;
//   3. the same URL from another address, or outside the tunnel, and another path are refused;
//   4. a disconnect, an administrator's terminate and a revocation (the user locked) each remove the
//      sandbox and its viewer within 10 s (printed).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromWireId } from '../../../core/bootstrap/wire-ids.js';
import { driverStep, labDown, labUp } from '../lab.js';
import { type LabPlan, labPlan } from '../plan.js';
import { repoPath } from '../repo.js';
import { inHost, needLabPeers, policyDocument, viworksIn, waitUntil } from './helpers.js';
import { launchChromiumIn } from './panel-browser.js';

const LAB_ID = 208;
const peers = needLabPeers({
  binaries: [
    '/usr/sbin/nft',
    '/usr/bin/curl',
    '/usr/bin/chromium',
    '/usr/bin/bwrap',
    '/usr/bin/Xvfb',
    '/usr/bin/x11vnc',
    '/usr/bin/websockify',
    '/usr/sbin/nginx',
  ],
  apt: 'nftables curl chromium bubblewrap xvfb x11vnc websockify novnc python3-seccomp nginx',
});
const self = { argv: [process.execPath, repoPath('dist/scripts/lab/cli.js')] };
const artifacts = process.env.VIWORKS_TEST_ARTIFACTS ?? join(tmpdir(), 'viworks-artifacts');

let plan: LabPlan;

interface SessionBrowser {
  readonly session_id: string;
  readonly browser: { readonly viewer_url: string; readonly targets: string[] } | null;
}

async function connected(): Promise<SessionBrowser> {
  const r = JSON.parse(await driverStep(plan, self, 'connect-demo')) as { code: number; json: unknown };
  if (r.code !== 0) {
    // What the gateway said (the backend audits each control command with its error).
    const spawns = await viworksIn(plan, [
      'admin',
      'audit',
      'query',
      '--action',
      'gateway.browser',
      '--limit',
      '5',
    ]);
    assert.fail(`connect: ${JSON.stringify(r.json)}\ngateway: ${JSON.stringify(spawns.json)}`);
  }
  const status = await viworksIn(plan, ['status']);
  return status.json.session as SessionBrowser;
}

/** `curl` from one lab host: the HTTP status (000: no connection) and the headers. */
async function curlFrom(host: 'client' | 'gateway' | 'router', url: string, extra: readonly string[] = []) {
  const r = await inHost(
    plan,
    host,
    [
      '/usr/bin/curl',
      '-s',
      '-o',
      '/dev/null',
      '-D',
      '-',
      '--max-time',
      '5',
      '-w',
      'status=%{http_code}',
      ...extra,
      url,
    ],
    { timeoutMs: 15_000 },
  );
  return { status: /status=(\d{3})$/.exec(r.stdout)?.[1] ?? '000', headers: r.stdout };
}

/** The sandbox of a session exists on the gateway node: its network namespace (gateway/browser/names.ts). */
async function sandboxExists(sessionWireId: string): Promise<boolean> {
  const r = await inHost(plan, 'gateway', ['/usr/sbin/ip', 'netns', 'list']);
  return r.stdout.includes(`vwb-${sessionWireId.slice(2, 12)}`);
}

async function endsWithin10s(what: string, s: SessionBrowser, end: () => Promise<void>) {
  const url = s.browser?.viewer_url ?? '';
  const t0 = performance.now();
  await end();
  await waitUntil(
    `${what}: the sandbox and its viewer to go`,
    async () => !(await sandboxExists(s.session_id)) && (await curlFrom('gateway', url)).status === '404',
    15_000,
    250,
  );
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`# ${what} → isolated browser removed in ${ms} ms\n`);
  assert.ok(ms < 10_000, `within 10 s (${ms} ms)`);
}

describe('isolated browser sessions in the lab', { skip: peers.skip }, () => {
  let first: SessionBrowser;
  before(async () => {
    plan = labPlan(LAB_ID);
    await labUp(LAB_ID, self, (m) => process.stderr.write(`lab: ${m}\n`));
    await driverStep(plan, self, 'enroll-demo');
  });
  after(() => (process.env.VIWORKS_LAB_KEEP === '1' ? undefined : labDown(LAB_ID)));

  it('a policy granting a browser target waits for a second administrator', async () => {
    const doc = policyDocument(plan, (d) => {
      d.browser = {
        targets: [{ name: 'intranet', host: plan.internal.address, port: plan.tunnelServicePort }],
        clipboard: false,
        file_transfer: false,
      };
    });
    const created = await viworksIn(plan, ['admin', 'policies', 'create', 'web', '--file', '-'], doc);
    assert.equal(created.code, 0, JSON.stringify(created.json));
    const assigned = await viworksIn(plan, ['admin', 'policies', 'assign', 'web', '--user', 'demo']);
    assert.equal(assigned.json.status, 'pending', JSON.stringify(assigned.json));
    const change = assigned.json.change as { id: string; reasons: string[] };
    assert.ok(
      change.reasons.some((r) =>
        r.includes(`browser targets added: ${plan.internal.address}:${plan.tunnelServicePort}`),
      ),
      JSON.stringify(change.reasons),
    );
    const approved = JSON.parse(
      await driverStep(plan, self, 'approve-as-second-admin', ['--', change.id]),
    ) as {
      change: { status: string };
    };
    assert.equal(approved.change.status, 'approved');
  });

  it('a connect lists the target; its viewer works through the tunnel and shows the remote browser', async () => {
    const serviceLog = join(plan.dirs.logs, `internal-service-${plan.internal.ns}.log`);
    const requestsBefore = readFileSync(serviceLog, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('request')).length;
    first = await connected();
    assert.deepEqual(first.browser?.targets, ['intranet']);
    const url = first.browser?.viewer_url ?? '';
    assert.match(
      url,
      new RegExp(`^http://${plan.vpnGatewayAddress.replaceAll('.', '\\.')}:8080/b/[A-Za-z0-9_-]{32}/$`),
    );

    // The viewer's root sends the browser to noVNC's page, whose websocket is under the same path.
    const root = await curlFrom('client', url);
    assert.equal(root.status, '302', root.headers);
    const page = await curlFrom('client', url, ['-L']);
    assert.match(page.headers, /status=200$/);
    assert.match(page.headers, /content-security-policy:/i);
    const ws = await curlFrom('client', `${url}websockify`, [
      '-H',
      'Connection: Upgrade',
      '-H',
      'Upgrade: websocket',
      '-H',
      'Sec-WebSocket-Version: 13',
      '-H',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      '-H',
      'Sec-WebSocket-Protocol: binary',
    ]);
    assert.equal(ws.status, '101', ws.headers);

    // The remote browser fetched the internal service, from the gateway's side of network A.
    await waitUntil(
      'the remote browser to load the internal service',
      async () =>
        readFileSync(serviceLog, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(`request from ${plan.internal.gatewayAddress} GET /`)).length > 0 &&
        readFileSync(serviceLog, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('request')).length > requestsBefore,
      20_000,
      250,
    );

    // The user's own browser, in the client's namespace: noVNC connects and draws the remote screen.
    const browser = await launchChromiumIn(plan, 'client');
    try {
      const tab = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await tab.goto(url);
      const canvas = tab.locator('canvas').first();
      await canvas.waitFor({ timeout: 20_000 });
      // A drawn screen has many colours; a canvas noVNC never filled has one.
      await waitUntil(
        'the remote screen on the canvas',
        async () =>
          ((await tab.evaluate(`(() => {
            const c = document.querySelector('canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            return seen.size;
          })()`)) as number) > 2,
        20_000,
        500,
      );
      mkdirSync(artifacts, { recursive: true });
      await tab.screenshot({ path: join(artifacts, 'browser-isolation-viewer.png') });
    } finally {
      await browser.close();
    }
  });

  it('refused: the URL from another address, outside the tunnel, and a path not issued', async () => {
    const url = first.browser?.viewer_url ?? '';
    // The gateway itself is another address on the tunnel's side: nginx admits only the session's.
    assert.equal((await curlFrom('gateway', url)).status, '403');
    assert.equal((await curlFrom('gateway', `${url}vnc.html`)).status, '403');
    // Outside the tunnel the viewer's address is not even reachable.
    assert.equal((await curlFrom('router', url)).status, '000');
    const forged = url.replace(/\/b\/[A-Za-z0-9_-]{32}\/$/, `/b/${'A'.repeat(32)}/`);
    assert.equal((await curlFrom('client', forged)).status, '404');
  });

  it('a disconnect removes the sandbox and its viewer within 10 s', async () => {
    assert.ok(await sandboxExists(first.session_id));
    await endsWithin10s('disconnect', first, async () => {
      const r = await viworksIn(plan, ['disconnect']);
      assert.equal(r.code, 0, JSON.stringify(r.json));
    });
  });

  it("an administrator's terminate removes them within 10 s", async () => {
    const second = await connected();
    assert.ok(await sandboxExists(second.session_id));
    assert.notEqual(second.browser?.viewer_url, first.browser?.viewer_url, 'a fresh random path per session');
    await endsWithin10s('admin terminate', second, async () => {
      const r = await viworksIn(plan, [
        'admin',
        'sessions',
        'terminate',
        fromWireId('s', second.session_id) ?? '',
      ]);
      assert.equal(r.code, 0, JSON.stringify(r.json));
    });
  });

  it('revoking the user (lock) removes them within 10 s', async () => {
    const third = await connected();
    assert.ok(await sandboxExists(third.session_id));
    await endsWithin10s('user locked', third, async () => {
      const r = await viworksIn(plan, ['admin', 'users', 'lock', 'demo']);
      assert.equal(r.code, 0, JSON.stringify(r.json));
    });
  });
});
