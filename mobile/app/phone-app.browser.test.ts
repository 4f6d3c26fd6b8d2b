// The phone app in a real browser: Debian's chromium (playwright-core) with a DevTools virtual
// platform authenticator, against a real backend in PRODUCTION mode whose `packed` trust root is
// configured explicitly (the virtual authenticator's attestation certificate), and a real viworksd
// driven by the real `viworks` commands. The app binds from a bind link, shows a waiting login,
// reveals its code only after user verification, and the daemon logs in with that code; a second
// login is denied on the phone and the desktop is refused with VIW_E_OTP_DENIED. The shell then
// loads offline from the service worker.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import Connect from '../../cli/commands/connect.js';
import Disconnect from '../../cli/commands/disconnect.js';
import Enroll from '../../cli/commands/enroll.js';
import * as R from '../../cli/lib/results.js';
import { errJson, okJson } from '../../cli/testing/assert.js';
import { runCommand } from '../../cli/testing/run.js';
import { type DaemonFixture, startDaemonFixture } from '../../daemon/testing/daemon-fixture.js';
import { issueBindCode } from '../../server/services/mobile/bind-codes.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { createToken, createUser, ctxOf } from '../../server/testing/identity-fixtures.js';
import { buildPhoneApp } from './build.js';
import {
  addPlatformAuthenticator,
  chromiumPeer,
  launchChromium,
  virtualAuthenticatorRoot,
} from './testing/chromium.js';

const USERNAME = 'grace';
const PASSWORD = 'grace correct horse battery 42';
const peer = chromiumPeer();

let dir: string;
let rootPem: string;
let ts: TestServer;
let d: DaemonFixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let userId: string;
let sock: string[];

const appUrl = () => `https://localhost:${ts.server.port}/phone/`;

before(async () => {
  if (peer.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'viw-phone-browser-'));
  rootPem = await virtualAuthenticatorRoot();
  writeFileSync(join(dir, 'packed-root.pem'), rootPem);
  const app = await buildPhoneApp(join(dir, 'app'));
  ts = await startTestServer({
    mode: 'production',
    phoneAppDir: app.outDir,
    attestationRoots: { packed: join(dir, 'packed-root.pem') },
  });
  // The browser trusts the backend's certificate by its SPKI pin, as the other clients do.
  browser = await launchChromium([
    `--ignore-certificate-errors-spki-list=${ts.server.banner.backend_pins.primary_b64}`,
  ]);
  context = await browser.newContext();
  page = await context.newPage();
  await addPlatformAuthenticator(context, page);
  userId = (await createUser(ts, USERNAME, PASSWORD)).id;
  d = await startDaemonFixture();
  sock = ['--socket', d.socketPath];
  writeFileSync(join(dir, 'root.crt'), ts.ca);
  writeFileSync(join(dir, 'fleet.token'), `${await createToken(ts)}\n`, { mode: 0o600 });
});

after(async () => {
  await browser?.close();
  await d?.stop();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Like a person: waits for the sign-in on the phone, passes verification, reads the code. */
async function codeFromPhone(): Promise<string> {
  await page.getByTestId('reveal').click({ timeout: 20_000 });
  const code = (await page.getByTestId('otp-code').textContent({ timeout: 20_000 })) ?? '';
  assert.match(code, /^\d{6}$/);
  return code;
}

describe('the phone app in chromium, against a production backend', { skip: peer.skip }, () => {
  it('the backend runs in production mode', () => {
    assert.equal(ctxOf(ts).config.mode, 'production');
  });

  it('binds from the bind link with an attested platform credential', async () => {
    const { code } = await issueBindCode(ctxOf(ts).kv, { userId, issuedBy: 'test' });
    await page.goto(`${appUrl()}#bind=${code}`);
    assert.equal(await page.getByTestId('bind-code').inputValue({ timeout: 10_000 }), code);
    assert.equal(new URL(page.url()).hash, '', 'the code leaves the address bar');
    await page.getByTestId('bind').click();
    await page.getByTestId('waiting').waitFor({ timeout: 20_000 });
    const phone = await ctxOf(ts).db.mobileDevice.findFirstOrThrow({ where: { userId, status: 'active' } });
    assert.equal(phone.attestationType, 'webauthn');
    assert.equal(phone.attestationVerdict, 'pass');
    assert.equal(phone.attestationFormat, 'packed');
    assert.equal(phone.userVerified, true);
    const root = new X509Certificate(rootPem);
    assert.equal(phone.trustRoot, createHash('sha256').update(root.raw).digest('hex'));
    assert.ok(phone.credentialId);
  });

  it('is installable: manifest, icons, and a service worker controlling the page', async () => {
    const manifest = await page.evaluate('document.querySelector(\'link[rel="manifest"]\').href');
    assert.equal(manifest, `${appUrl()}manifest.webmanifest`);
    await page.reload();
    await page.getByTestId('waiting').waitFor();
    const sw = await page.evaluate('navigator.serviceWorker.ready.then((r) => r.active.state)');
    assert.equal(sw, 'activated');
    assert.equal(await page.evaluate('navigator.serviceWorker.controller !== null'), true);
  });

  it('enrolls a real viworksd with a fleet token', async () => {
    const pins = ts.server.banner.backend_pins;
    const r = await runCommand(
      Enroll,
      [
        ...sock,
        '--json',
        '--backend',
        `https://127.0.0.1:${ts.server.port}`,
        '--ca',
        join(dir, 'root.crt'),
        '--pin',
        pins.primary_b64,
        '--pin',
        pins.backup_b64,
        '--username',
        USERNAME,
        '--token-file',
        join(dir, 'fleet.token'),
        '--password-stdin',
      ],
      { stdin: `${PASSWORD}\n` },
    );
    assert.equal(okJson(r, R.EnrollResultSchema).device.status, 'active');
  });

  it('shows the waiting login with its context; the code after verification logs the daemon in', async () => {
    const stdin = new PassThrough();
    stdin.write(`${PASSWORD}\n`);
    const typist = (async () => {
      await page.getByTestId('ctx-purpose').waitFor({ timeout: 20_000 });
      assert.equal(await page.getByTestId('ctx-purpose').textContent(), 'Desktop sign-in');
      assert.equal(await page.getByTestId('ctx-source').textContent(), '127.0.0.1 (private network)');
      assert.equal(await page.getByTestId('ctx-device').textContent(), hostname(), "the desktop's name");
      assert.equal(await page.getByTestId('otp-code').count(), 0, 'no code before verification');
      const code = await codeFromPhone();
      stdin.end(`${code}\n`);
      return code;
    })();
    const r = await runCommand(Connect, [...sock, '--json', '--password-stdin', '--otp-stdin'], { stdin });
    const code = await typist;
    assert.equal(okJson(r, R.ConnectResultSchema).state, 'connected');
    assert.ok(!r.stdout.includes(code));
    await page.getByTestId('done').click();
    await page.getByTestId('waiting').waitFor();
    okJson(await runCommand(Disconnect, [...sock, '--json']), R.DisconnectResultSchema);
  });

  it('Deny on the phone ends the next login: the desktop gets VIW_E_OTP_DENIED', async () => {
    const stdin = new PassThrough();
    stdin.write(`${PASSWORD}\n`);
    const phone = (async () => {
      await page.getByTestId('deny').click({ timeout: 20_000 });
      await page.getByTestId('denied').waitFor();
      stdin.end('000000\n'); // whatever the desktop types now, the login is over
    })();
    const r = await runCommand(Connect, [...sock, '--json', '--password-stdin', '--otp-stdin'], { stdin });
    await phone;
    errJson(r, 3, 'VIW_E_OTP_DENIED');
    await page.getByTestId('back').click();
  });

  it('the shell opens offline, from the service worker', async () => {
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('waiting').waitFor({ timeout: 10_000 });
      assert.equal(await page.title(), 'ViWorkS');
    } finally {
      await context.setOffline(false);
    }
  });
});
