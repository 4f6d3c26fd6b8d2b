// The desktop GUI in a real browser: `viworks gui`'s server over a real viworksd (daemon fixture:
// real engine and local API, fakes only for the TLS proxy and OpenVPN) and a real backend, driven
// in Debian's chromium. Launch link → enroll with a fleet token file → connect: password, the
// phone's code, the six steps → connected → disconnect; the window closing ends the server. And
// the local-web-server attacks: no session cookie, a foreign Host (DNS rebinding), a foreign or
// missing Origin, a second use of the launch link — each refused. Screenshots go to the artifacts
// folder ($VIWORKS_TEST_ARTIFACTS, default <tmp>/viworks-artifacts), never into the repository.
// Then, against the fake local API, the session's browser targets (issue #18) on the connected
// screen: links to the viewer that open it without an opener or a Referer, and no row without them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type FakeDaemon, startFakeDaemon } from '../cli/testing/fake-daemon.js';
import type { Status } from '../core/api/local.js';
import { LocalClient } from '../core/localclient/index.js';
import { type DaemonFixture, startDaemonFixture } from '../daemon/testing/daemon-fixture.js';
import { chromiumPeer, launchChromium } from '../mobile/app/testing/chromium.js';
import type { PhoneIdentity } from '../mobile/sim/phone-client.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import { boundPhone, createToken, createUser, phoneClient } from '../server/testing/identity-fixtures.js';
import { buildGui } from './build.js';
import { type GuiServer, loadGuiAssets, startGuiServer, writeOpenerPage } from './index.js';

const USERNAME = 'heidi';
const PASSWORD = 'heidi correct horse battery 7';
const peer = chromiumPeer();
const artifacts = process.env.VIWORKS_TEST_ARTIFACTS ?? join(tmpdir(), 'viworks-artifacts');

let dir: string;
let ts: TestServer;
let phone: PhoneIdentity;
let d: DaemonFixture;
let gui: GuiServer;
let browser: Browser;
let page: Page;
let launched = false;

before(async () => {
  if (peer.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'viw-gui-'));
  ts = await startTestServer({ mode: 'development' });
  phone = await boundPhone(ts, (await createUser(ts, USERNAME, PASSWORD)).id);
  d = await startDaemonFixture();
  await buildGui(join(dir, 'web'));
  gui = await startGuiServer({
    client: d.client,
    assets: loadGuiAssets(join(dir, 'web')),
    graceMs: 1_500,
    onLaunched: () => {
      launched = true;
    },
  });
  writeFileSync(join(dir, 'ca.pem'), ts.ca);
  writeFileSync(join(dir, 'fleet.token'), `${await createToken(ts)}\n`);
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await gui?.close();
  await d?.stop();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A raw request to the GUI server with the headers a test chooses. */
function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gui.port, path, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('viworks gui in chromium', { skip: peer.skip }, () => {
  const host = () => `127.0.0.1:${gui.port}`;
  const origin = () => `http://127.0.0.1:${gui.port}`;

  it('refuses requests without the session cookie', async () => {
    assert.equal(await raw('/api/status', { host: host() }), 401);
    assert.equal(await raw('/', { host: host() }), 401);
    assert.equal(await raw('/api/status', { host: host(), cookie: 'viworks_gui=guess' }), 401);
  });

  it('the launch link, opened the way viworks gui opens it (a file: opener page), opens the GUI once', async () => {
    const opener = writeOpenerPage(gui.launchUrl, dir);
    await page.goto(pathToFileURL(opener.path).href);
    await page.getByTestId('enroll').waitFor({ timeout: 10_000 });
    assert.equal(launched, true);
    assert.equal(page.url(), `${origin()}/`);
    assert.equal(
      await raw(new URL(gui.launchUrl).pathname + new URL(gui.launchUrl).search, { host: host() }),
      401,
    );
    const csp = (await page.request.get(origin())).headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe/);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign or missing Origin even with the cookie', async () => {
    const cookies = await page.context().cookies(origin());
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.ok(cookie.startsWith('viworks_gui='));
    assert.equal(cookies[0]?.httpOnly, true);
    assert.equal(cookies[0]?.sameSite, 'Strict');
    assert.equal(await raw('/api/status', { host: host(), cookie }), 200);
    assert.equal(await raw('/api/status', { host: `rebind.example:${gui.port}`, cookie }), 421);
    assert.equal(await raw('/api/status', { host: `localhost:${gui.port}`, cookie }), 421);
    assert.equal(await raw('/api/status', { host: host(), cookie, origin: 'http://evil.example' }), 403);
    assert.equal(await raw('/api/status', { host: host(), cookie, 'sec-fetch-site': 'cross-site' }), 403);
    const json = { 'content-type': 'application/json' };
    assert.equal(await raw('/api/disconnect', { host: host(), cookie, ...json }, 'POST', '{}'), 403);
    assert.equal(
      await raw(
        '/api/disconnect',
        { host: host(), cookie, origin: 'http://evil.example', ...json },
        'POST',
        '{}',
      ),
      403,
    );
    const noCors = await page.request.get(`${origin()}/api/status`);
    assert.equal(noCors.headers()['access-control-allow-origin'], undefined);
  });

  it('enrolls this computer with a fleet token file', async () => {
    const pins = ts.server.banner.backend_pins;
    await page.getByTestId('enroll-url').fill(`https://127.0.0.1:${ts.server.port}`);
    await page.getByTestId('enroll-pin-primary').fill(pins.primary_b64);
    await page.getByTestId('enroll-pin-backup').fill(pins.backup_b64);
    await page.getByTestId('enroll-ca').setInputFiles(join(dir, 'ca.pem'));
    await page.getByTestId('enroll-username').fill(USERNAME);
    await page.getByTestId('enroll-password').fill(PASSWORD);
    await page.getByTestId('enroll-token').setInputFiles(join(dir, 'fleet.token'));
    await page.getByTestId('enroll').click();
    await page.getByTestId('state').filter({ hasText: 'Not connected' }).waitFor({ timeout: 15_000 });
    assert.equal((await d.client.status()).device?.username, USERNAME);
  });

  it('connects: password, the code from the phone, the six steps, connected; then disconnects', async () => {
    await page.getByTestId('connect').click();
    await page.getByTestId('password').fill(PASSWORD);
    await page.getByTestId('password-submit').click();
    await page.getByTestId('otp-countdown').waitFor({ timeout: 10_000 });
    const pending = await phoneClient(ts).pendingOtp(phone, 10);
    assert.ok(pending?.code, 'the phone shows a code');
    await page.getByTestId('otp-code').fill(pending.code);
    await page.getByTestId('otp-submit').click();
    await page
      .getByTestId('state')
      .filter({ hasText: /^Connected$/ })
      .waitFor({ timeout: 20_000 });
    for (let i = 0; i < 6; i++)
      assert.equal(await page.getByTestId(`step-${i}`).getAttribute('class'), 'done');
    assert.equal(await page.getByTestId('step-5').textContent(), '✓ OVPN up');
    assert.equal(await page.getByTestId('virtual-ip').textContent(), '10.8.0.6');
    assert.ok((await page.getByTestId('log').locator('li').count()) > 0, 'the daemon log is shown');
    await page.screenshot({ path: join(artifacts, 'gui-connected.png'), fullPage: true });
    await page.getByTestId('disconnect').click();
    await page.getByTestId('state').filter({ hasText: 'Not connected' }).waitFor({ timeout: 10_000 });
    assert.equal((await d.client.status()).state, 'enrolled');
    assert.equal(await page.getByTestId('step-0').getAttribute('class'), 'todo', 'the steps start over');
  });

  it('shows a bind link as a QR code for the phone, and refuses anything else', async () => {
    await page.locator('#bind-phone summary').click();
    await page.getByTestId('bind-input').fill('ABCDE-FGHJK');
    await page.getByTestId('bind-show').click();
    const qr = page.getByTestId('bind-qr');
    await qr.waitFor();
    assert.match((await qr.getAttribute('viewBox')) ?? '', /^0 0 \d+ \d+$/);
    assert.ok(
      ((await qr.locator('path').getAttribute('d')) ?? '').length > 500,
      'a QR code has many modules',
    );
    await page.getByTestId('bind-input').fill('https://evil.example/steal');
    await page.getByTestId('bind-show').click();
    await page.getByTestId('bind-invalid').waitFor();
  });

  // Bounded: one CI run hung here for 14 minutes (not reproduced); a hang must fail, not stall CI.
  it('enrolls a second computer the interactive way: no token, the code from the phone, then approval', {
    timeout: 120_000,
  }, async () => {
    const d2 = await startDaemonFixture();
    const gui2 = await startGuiServer({ client: d2.client, assets: loadGuiAssets(join(dir, 'web')) });
    const page2 = await (await browser.newContext()).newPage();
    try {
      await page2.goto(gui2.launchUrl);
      const pins = ts.server.banner.backend_pins;
      await page2.getByTestId('enroll-url').fill(`https://127.0.0.1:${ts.server.port}`);
      await page2.getByTestId('enroll-pin-primary').fill(pins.primary_b64);
      await page2.getByTestId('enroll-pin-backup').fill(pins.backup_b64);
      await page2.getByTestId('enroll-ca').setInputFiles(join(dir, 'ca.pem'));
      await page2.getByTestId('enroll-username').fill(USERNAME);
      await page2.getByTestId('enroll-password').fill(PASSWORD);
      await page2.getByTestId('enroll').click();
      await page2.getByTestId('otp-countdown').waitFor({ timeout: 15_000 });
      const pending = await phoneClient(ts).pendingOtp(phone, 10);
      assert.equal(pending?.purpose, 'enroll', 'the phone shows an enrollment, not a login');
      await page2.getByTestId('otp-code').fill(pending?.code ?? '');
      await page2.getByTestId('otp-submit').click();
      await page2.getByTestId('state').filter({ hasText: 'Not connected' }).waitFor({ timeout: 15_000 });
      assert.equal((await d2.client.status()).device?.status, 'pending_approval');
      await page2.getByTestId('pending-approval').waitFor({ timeout: 15_000 });
    } finally {
      await page2.close();
      await gui2.close();
      await d2.stop();
    }
  });

  it('ends when the last window is closed', async () => {
    await page.close();
    assert.equal(await gui.ended, 'window_closed');
  });
});

describe("viworks gui: the session's browser targets (fake local API)", { skip: peer.skip }, () => {
  let fake: FakeDaemon;
  let gui3: GuiServer;
  let page3: Page;
  // Stands in for the viewer on the gateway: records what a click sends it.
  const hits: { path: string; referer: string | undefined }[] = [];
  const viewer = createServer((req, res) => {
    hits.push({ path: req.url ?? '', referer: req.headers.referer });
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>viewer</title>');
  });
  let viewerUrl: string;
  const KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

  const connected = (browser: NonNullable<Status['session']>['browser']) =>
    fake.setState('connected', {
      session: {
        session_id: 's-1',
        gateway_fqdn: 'gw.test',
        connected_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        virtual_ip: '10.8.0.6',
        browser,
      },
    });

  before(async () => {
    await new Promise<void>((r) => viewer.listen(0, '127.0.0.1', r));
    viewerUrl = `http://127.0.0.1:${(viewer.address() as AddressInfo).port}/b/${KEY}/vnc.html?autoconnect=1`;
    fake = await startFakeDaemon();
    gui3 = await startGuiServer({
      client: new LocalClient({ socketPath: fake.socketPath }),
      assets: loadGuiAssets(join(dir, 'web')),
    });
    page3 = await (await browser.newContext()).newPage();
  });

  after(async () => {
    await page3?.context().close();
    await gui3?.close();
    await fake?.stop();
    await new Promise<void>((r) => viewer.close(() => r()));
  });

  it('shows no browser row when the policy grants none', async () => {
    connected(null);
    await page3.goto(gui3.launchUrl);
    await page3.getByTestId('virtual-ip').filter({ hasText: '10.8.0.6' }).waitFor({ timeout: 10_000 });
    assert.equal(await page3.getByTestId('browser-targets').count(), 0);
    assert.equal(await page3.getByText('Browser targets').count(), 0);
  });

  it('lists each target as a link to the viewer, opened without an opener or a Referer', async () => {
    connected({ viewer_url: viewerUrl, targets: ['wiki', 'grafana'] });
    const links = page3.getByTestId('browser-target');
    await links.nth(1).waitFor({ timeout: 10_000 });
    assert.deepEqual(await links.allTextContents(), ['wiki', 'grafana']);
    assert.equal(await page3.locator('a[data-testid="browser-target"]').count(), 2, 'links, not text');
    for (const link of await links.all()) {
      assert.equal(await link.getAttribute('href'), viewerUrl);
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      assert.equal(await link.getAttribute('referrerpolicy'), 'no-referrer');
    }
    const opened = page3.context().waitForEvent('page');
    await links.first().click();
    const popup = await opened;
    await popup.waitForLoadState();
    assert.equal(popup.url(), viewerUrl);
    assert.equal(await popup.evaluate('window.opener'), null);
    // Later requests (its favicon) are the viewer page's own, with its own Referer.
    assert.deepEqual(hits[0], { path: `/b/${KEY}/vnc.html?autoconnect=1`, referer: undefined });
    assert.equal(page3.url(), `http://127.0.0.1:${gui3.port}/`, "the key never enters the GUI page's URL");
    await popup.close();
  });

  it('shows a target whose viewer URL is not http(s) as text, never as a link', async () => {
    connected({ viewer_url: 'javascript:alert(1)', targets: ['wiki'] });
    await page3.locator('span[data-testid="browser-target"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(await page3.getByTestId('browser-target').allTextContents(), ['wiki']);
    assert.equal(await page3.locator('a[href^="javascript:"]').count(), 0);
  });

  it('removes the row when the session no longer has a browser', async () => {
    connected({ viewer_url: viewerUrl, targets: ['wiki'] });
    await page3.locator('a[data-testid="browser-target"]').waitFor({ timeout: 10_000 });
    connected(null);
    await page3.getByTestId('browser-targets').waitFor({ state: 'detached', timeout: 10_000 });
    await page3.getByTestId('virtual-ip').waitFor();
  });
});
