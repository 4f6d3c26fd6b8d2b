// The admin panel in a real browser: Debian's chromium (playwright-core) against a real backend
// serving a fresh build of the panel. The first administrator's first login (the one-time password
// from the start banner → a new password → TOTP enrolment, the code computed from the secret the
// panel shows → sign-in with password + TOTP); a user and an enrollment token created (each secret
// shown once); a device approved and unbound, an alert acknowledged; an Auditor who sees no write
// control and whose forged write the backend refuses (403); the headers of /admin/; an injected
// inline script that does not run and fires a CSP violation (Trusted Types first, and script-src
// alone with Trusted Types taken out of the header). Real VPN sessions (an enrolled desktop's
// bootstrap against the same backend) appear live on the Sessions page; one is terminated from the
// page after its confirmation, another's end from elsewhere shows within a second; the Overview
// counts them; the Phones page lists a phone and its attestation verdict. No CSP violation happens in normal use. The
// first load is timed and the script's transfer size measured (printed). Screenshots of each page
// go to $VIWORKS_TEST_ARTIFACTS (default <tmp>/viworks-artifacts), never into the repository.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_STREAMS_PER_ADMIN } from '../../core/api/admin-session-events.js';
import { fromWireId } from '../../core/bootstrap/wire-ids.js';
import { chromiumPeer, launchChromium } from '../../mobile/app/testing/chromium.js';
import { base32Decode } from '../services/admin/totp.js';
import { createAlertSink } from '../services/detections/sink.js';
import { createAccount, createDevice, totpCode } from '../testing/admin-fixtures.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../testing/client-fixtures.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { ctxOf } from '../testing/identity-fixtures.js';
import { type AdminUiBuild, buildAdminUi } from './build.js';

const peer = chromiumPeer();
const artifacts = process.env.VIWORKS_TEST_ARTIFACTS ?? join(tmpdir(), 'viworks-artifacts');
const ADMIN_PASSWORD = 'the first operator chose this 42';
const AUDITOR_PASSWORD = 'an auditor reads everything 7';
/** Buttons that change something: none may show for a role without the permission. */
const WRITE_CONTROLS = [
  'create-user',
  'lock',
  'unlock',
  'reset',
  'reset-totp',
  'bind',
  'create-token',
  'revoke',
  'approve',
  'unbind',
  'ack',
  'terminate',
  'add-gateway',
  'provision',
  'create-group',
  'add-group',
  'remove-group',
];
/** Records every CSP violation of the page (runs before the page's own script, on each load). */
const RECORD_VIOLATIONS = `window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }));`;
/** Injects an inline script the way an XSS would; returns what the DOM said (Trusted Types throw). */
const INJECT_INLINE_SCRIPT = `(() => {
  window.__pwned = false;
  try {
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = true';
    document.body.append(s);
    return 'appended';
  } catch (e) {
    return e.name;
  }
})()`;

interface Violation {
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
}

let dir: string;
let ui: AdminUiBuild;
let ts: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let url: string;
/** The Authorization header of the panel's latest admin API call (the forged-write test uses it). */
let lastAuthorization = '';
const pageErrors: string[] = [];
let adminSecret = '';
let auditorOneTimePassword = '';
let enrollmentToken = '';

before(async () => {
  if (peer.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'viw-admin-ui-browser-'));
  ui = await buildAdminUi(join(dir, 'ui'));
  ts = await startTestServer({ adminUiDir: ui.outDir });
  url = `https://localhost:${ts.server.port}/admin/`;
  // The browser trusts the backend's certificate by its SPKI pin, as the other clients do.
  browser = await launchChromium([
    `--ignore-certificate-errors-spki-list=${ts.server.banner.backend_pins.primary_b64}`,
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  await context.addInitScript(RECORD_VIOLATIONS);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    const auth = r.headers().authorization;
    if (auth) lastAuthorization = auth;
  });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Waits until `expression` is true in the page. Not page.waitForFunction: once its first check fails
 * it polls by evaluating the text with eval inside the page, which the panel's CSP (rightly) blocks
 * and reports as a violation; page.evaluate goes through the DevTools protocol instead.
 */
async function until(p: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await p.evaluate(expression))) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes the page's screenshot and checks the page is usable at its width: no sideways scrolling. */
const shot = async (name: string) => {
  // At 1280 px every table fits; narrower, a table may scroll inside its box, the page never.
  const [page_, tables] = (await page.evaluate(`[
    document.documentElement.scrollWidth - document.documentElement.clientWidth,
    window.innerWidth < 1280
      ? 0
      : Math.max(0, ...[...document.querySelectorAll('.table-scroll')].map((b) => b.scrollWidth - b.clientWidth)),
  ]`)) as [number, number];
  await page.screenshot({ path: join(artifacts, `admin-ui-${name}.png`), fullPage: true });
  assert.deepEqual(
    [page_, tables],
    [0, 0],
    `the ${name} page or a table scrolls sideways (see its screenshot)`,
  );
};
const violations = async () => (await page.evaluate('window.__violations')) as Violation[];
const go = async (id: string) => {
  await page.getByTestId(`nav-${id}`).click();
  await page.getByTestId(`page-${id}`).waitFor();
};

/** A gateway node's OpenSSH host key line (ed25519) and its fingerprint as `ssh-keygen -lf` prints it. */
function sshHostKeyLine(): { line: string; fingerprint: string } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { line: `ssh-ed25519 ${blob.toString('base64')} root@gw-browser`, fingerprint };
}

/** The sign-in form, filled and sent. */
async function signIn(username: string, password: string, code = '') {
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('totp').fill(code);
  await page.getByTestId('sign-in').click();
}

/** First login of an account: new password, then TOTP enrolment; returns the TOTP secret. */
async function firstLogin(username: string, oneTimePassword: string, newPassword: string): Promise<string> {
  await signIn(username, oneTimePassword);
  await page.getByTestId('new-password').fill(newPassword);
  await page.getByTestId('new-password-again').fill(newPassword);
  await page.getByTestId('change-password').click();
  const shown = (await page.getByTestId('totp-secret').textContent({ timeout: 10_000 })) ?? '';
  const secret = shown.replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal(await page.getByTestId('totp-qr').locator('path').count(), 1, 'the QR code is drawn');
  await page.getByTestId('totp-confirm-code').fill(totpCode(base32Decode(secret)));
  await page.getByTestId('totp-confirm').click();
  await page.getByTestId('notice').waitFor();
  assert.match((await page.getByTestId('notice').textContent()) ?? '', /Setup complete/);
  return secret;
}

/** Sign-in with password + TOTP. The confirming code was spent: the next step's is in the window. */
async function fullSignIn(username: string, password: string, secret: string) {
  await signIn(username, password, totpCode(base32Decode(secret), 1));
  await page.getByTestId('who').waitFor({ timeout: 10_000 });
}

describe('the admin panel in chromium, against a real backend', { skip: peer.skip }, () => {
  it('serves /admin/ with its security headers, and loads fast', async () => {
    const res = await page.goto(url);
    const h = res?.headers() ?? {};
    assert.equal(res?.status(), 200);
    assert.match(h['content-security-policy'] ?? '', /^default-src 'none';/);
    assert.match(h['content-security-policy'] ?? '', /script-src 'self';/);
    assert.doesNotMatch(h['content-security-policy'] ?? '', /unsafe/);
    assert.match(h['strict-transport-security'] ?? '', /max-age=31536000/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    assert.equal(h['cross-origin-opener-policy'], 'same-origin');
    assert.equal(h['cross-origin-resource-policy'], 'same-origin');
    await page.getByTestId('username').waitFor();
    // From navigation start to a sign-in form that takes input; the script as it travelled.
    const readyMs = (await page.evaluate('performance.now()')) as number;
    const script = (await page.evaluate(
      `performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/assets/app.js')).map((e) => e.transferSize)[0]`,
    )) as number;
    assert.ok(script > 0 && script < ui.scriptBytes / 2, `transferred ${script} of ${ui.scriptBytes} bytes`);
    console.log(
      `admin panel first load: sign-in form ready in ${Math.round(readyMs)} ms; app.js ${(ui.scriptBytes / 1024).toFixed(1)} KiB minified, ${(script / 1024).toFixed(1)} KiB transferred (brotli)`,
    );
    await shot('sign-in');
  });

  it("the first administrator's first login: forced password change, TOTP enrolment, then password + TOTP", async () => {
    const first = ts.server.banner.first_admin;
    assert.ok(first);
    await signIn(first.username, ts.adminPassword);
    await page.getByTestId('new-password').waitFor();
    await shot('password-change');
    await page.getByTestId('new-password').fill('too short');
    await page.getByTestId('new-password-again').fill('too short');
    await page.getByTestId('change-password').click();
    await page.getByRole('alert').first().waitFor();
    assert.equal(await page.getByTestId('totp-secret').count(), 0, 'a refused password does not move on');
    await page.getByTestId('new-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('new-password-again').fill(ADMIN_PASSWORD);
    await page.getByTestId('change-password').click();
    await page.getByTestId('totp-secret').waitFor({ timeout: 10_000 });
    await shot('totp-enrolment');
    // A wrong code is refused with its stable code, and the enrolment stays open.
    await page.getByTestId('totp-confirm-code').fill('000000');
    await page.getByTestId('totp-confirm').click();
    assert.equal(
      await page.getByTestId('problem-code').textContent({ timeout: 10_000 }),
      'VIW_E_OTP_INVALID',
    );
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByTestId('totp-confirm-code').fill(totpCode(base32Decode(secret)));
    await page.getByTestId('totp-confirm').click();
    await page.getByTestId('notice').waitFor();
    adminSecret = secret;

    // Without the code the login fails like any failure; with it, the panel opens.
    await signIn(first.username, ADMIN_PASSWORD);
    assert.equal(
      await page.getByTestId('problem-code').textContent({ timeout: 10_000 }),
      'VIW_E_AUTH_FAILED',
    );
    await fullSignIn(first.username, ADMIN_PASSWORD, adminSecret);
    assert.equal(await page.getByTestId('who').textContent(), `${first.username} · Admin`);
    assert.match((await page.getByTestId('idle-countdown').textContent()) ?? '', /^1[45]:\d\d$/);
    await page.getByTestId('page-overview').waitFor(); // the landing page of a role reading sessions
    await page.getByTestId('overview-live-sessions').waitFor({ timeout: 10_000 });
    // The token lives in the client's memory only.
    assert.deepEqual(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]'), [
      0,
      0,
      '',
    ]);
    assert.match(lastAuthorization, /^Bearer viw_adm_/);
  });

  it('creates a user and shows its one-time password once; a phone bind code as a QR code', async () => {
    await go('users');
    await page.getByTestId('new-username').fill('carol');
    await page.getByTestId('new-role').selectOption('User');
    await page.getByTestId('create-user').click();
    const otp = (await page.getByTestId('one-time-password').textContent({ timeout: 10_000 })) ?? '';
    assert.ok(otp.length >= 12);
    await page.getByTestId('one-time-password-done').click();
    assert.equal(await page.getByTestId('one-time-password').count(), 0);
    assert.ok(!((await page.textContent('body')) ?? '').includes(otp), 'gone from the page');
    await page.getByTestId('user-carol').waitFor();

    await page.getByTestId('new-username').fill('audrey');
    await page.getByTestId('new-role').selectOption('Auditor');
    await page.getByTestId('create-user').click();
    auditorOneTimePassword =
      (await page.getByTestId('one-time-password').textContent({ timeout: 10_000 })) ?? '';
    await page.getByTestId('one-time-password-done').click();

    await page.getByTestId('user-carol').getByTestId('bind').click();
    await page.getByTestId('bind-qr').waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId('bind-code').textContent()) ?? '', /^[A-Za-z0-9-]{8,}$/);
    await shot('users');

    // The role filter asks the backend: only the Auditor is left.
    await page.getByTestId('filter-role').selectOption('Auditor');
    await page.getByTestId('user-carol').waitFor({ state: 'detached' });
    await page.getByTestId('user-audrey').waitFor();
    await page.getByTestId('filter-role').selectOption('');
    await page.getByTestId('user-carol').waitFor();

    // Lock asks first, then locks; unlock undoes it.
    await page.getByTestId('user-carol').getByTestId('lock').click();
    await page.getByTestId('user-carol').getByTestId('lock-confirm').click();
    await page.getByTestId('user-carol').getByTestId('unlock').waitFor();
    await page.getByTestId('user-carol').getByTestId('unlock').click();
    await page.getByTestId('user-carol').getByTestId('unlock-confirm').click();
    await page.getByTestId('user-carol').getByTestId('lock').waitFor();
  });

  it("creates a group, adds a user to it from the user's row, and removes them (asked first)", async () => {
    await go('users');
    await page.getByTestId('new-group-name').fill('engineering');
    await page.getByTestId('create-group').click();
    await page.getByTestId('note').filter({ hasText: 'Group engineering created.' }).waitFor();
    const carol = page.getByTestId('user-carol');
    await carol.getByTestId('add-group-select').selectOption('engineering');
    await carol.getByTestId('add-group').click();
    await page.getByTestId('note').filter({ hasText: 'carol added to engineering.' }).waitFor();
    await carol.getByTestId('group-engineering').waitFor();
    // The near-miss: only carol joined; another user's row does not list the group.
    assert.equal(await page.getByTestId('user-audrey').getByTestId('group-engineering').count(), 0);
    // The backend agrees (not only the page's own view of it).
    const members = async () => {
      const r = await ts.call<{ members: { username: string }[] }>('/admin/groups/engineering', {
        headers: { authorization: lastAuthorization },
      });
      assert.equal(r.status, 200, r.text);
      return r.body.members.map((m) => m.username);
    };
    assert.deepEqual(await members(), ['carol']);

    await carol.getByTestId('remove-group').click();
    await carol.getByTestId('remove-group-confirm').click();
    await carol.getByTestId('group-engineering').waitFor({ state: 'detached' });
    await page.getByTestId('note').filter({ hasText: 'carol removed from engineering.' }).waitFor();
    assert.deepEqual(await members(), []);
  });

  it('creates an enrollment token, shows it once with a copy button, and revokes another', async () => {
    await go('enrollment-tokens');
    await page.getByTestId('token-max-uses').fill('5');
    await page.getByTestId('token-tags').fill('laptops, berlin');
    await page.getByTestId('create-token').click();
    enrollmentToken = (await page.getByTestId('enrollment-token').textContent({ timeout: 10_000 })) ?? '';
    assert.ok(enrollmentToken.length >= 20, enrollmentToken);
    await page.getByTestId('enrollment-token-copy').click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), enrollmentToken);
    await shot('enrollment-tokens');
    await page.getByTestId('enrollment-token-done').click();
    await go('users');
    await go('enrollment-tokens');
    await page.getByText('laptops, berlin').waitFor();
    assert.ok(!((await page.textContent('body')) ?? '').includes(enrollmentToken), 'shown once only');

    await page.getByTestId('create-token').click();
    await page.getByTestId('enrollment-token-done').click();
    await page.getByTestId('revoke').first().click();
    await page.getByTestId('revoke-confirm').click();
    await page.getByTestId('note').filter({ hasText: 'revoked' }).waitFor();
    await page.getByTestId('filter-state').selectOption('revoked');
    const table = page.getByTestId('enrollment-tokens');
    await table.getByRole('cell', { name: 'laptops, berlin' }).waitFor({ state: 'detached' });
    assert.equal(await table.locator('tbody tr').count(), 1, 'only the revoked token');
    assert.equal(await table.getByRole('cell', { name: 'revoked', exact: true }).count(), 1);
  });

  it('pages the users list, 20 a page, and comes back', async () => {
    for (let i = 0; i < 20; i++) await createAccount(ctxOf(ts), 'User');
    await go('devices');
    await go('users');
    const rows = page.locator('[data-testid="users"] tbody tr');
    await rows.nth(19).waitFor();
    assert.equal(await rows.count(), 20);
    await page.getByTestId('next-page').click();
    await page.getByText('Page 2').waitFor();
    await rows.nth(19).waitFor({ state: 'detached' });
    assert.equal(await rows.count(), 3, '23 users in all');
    assert.equal(await page.getByTestId('next-page').isDisabled(), true);
    await page.getByRole('button', { name: 'Previous' }).click();
    await rows.nth(19).waitFor();
  });

  it('approves and unbinds a device; acknowledges an alert', async () => {
    const ctx = ctxOf(ts);
    const carol = await ctx.db.user.findUniqueOrThrow({ where: { username: 'carol' } });
    const device = await createDevice(ctx, carol.id);
    await go('devices');
    const row = page.getByTestId(`device-${device.id}`);
    await row.getByTestId('approve').click();
    await row.getByText('active').waitFor();
    await shot('devices');
    await row.getByTestId('unbind').click();
    await row.getByTestId('unbind-confirm').click();
    await row.getByText('revoked').waitFor();

    const sink = createAlertSink({ db: ctx.db, audit: ctx.audit, log: console });
    await sink.raise({
      rule: 'otp_stuffing',
      severity: 'critical',
      key: 'u-c0ffeec0ffeec0ffeec0ffee',
      summary: 'wrong codes for one account from many networks',
      fields: {},
      evidence: [1],
      firedAt: new Date(),
    });
    await go('alerts');
    await page.getByTestId('alert-otp_stuffing').waitFor();
    await shot('alerts');
    await page.getByTestId('alert-otp_stuffing').getByTestId('ack').click();
    await page.getByTestId('alert-otp_stuffing').waitFor({ state: 'detached' });
    await page.getByTestId('filter-acked').selectOption('true');
    await page.getByTestId('alert-otp_stuffing').waitFor();

    await page.setViewportSize({ width: 420, height: 800 });
    await go('users');
    await shot('users-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('sessions appear live, one is terminated from the page, another ends from elsewhere within a second', async () => {
    const ctx = ctxOf(ts);
    /** A real VPN session: an enrolled desktop's login and bootstrap, as the desktop client does it. */
    const startSession = async () => {
      const tokens = await loginTokens(ctx, await enrolledDesktop(ctx));
      const boot = await fetchBootstrap<{ session_id: string }>(ts, tokens);
      assert.equal(boot.status, 200, boot.text);
      const id = fromWireId('s', boot.body.session_id);
      assert.ok(id);
      return id;
    };
    // Leaving the page closes its stream: past the backend's 4 streams per administrator, a leaked
    // one would be refused (429 VIW_E_TOO_MANY_STREAMS) and the page would never show "live".
    for (let visit = 0; visit < ADMIN_STREAMS_PER_ADMIN + 1; visit++) {
      await go('sessions');
      await page.locator('[data-testid="stream-state"][data-state="live"]').waitFor({ timeout: 10_000 });
      if (visit < ADMIN_STREAMS_PER_ADMIN) await go('overview');
    }
    const [a, b, c] = [await startSession(), await startSession(), await startSession()];
    const rowOf = (id: string) => page.getByTestId(`session-${id}`);
    for (const id of [a, b, c]) await rowOf(id).waitFor({ timeout: 5_000 });
    assert.equal(await rowOf(a).getAttribute('data-state'), 'live');
    await shot('sessions');

    // Terminate asks first; the question takes the keyboard focus, and Escape takes it back.
    await rowOf(a).getByTestId('terminate').click();
    assert.equal(await page.evaluate('document.activeElement?.dataset.testid'), 'terminate-cancel');
    await page.keyboard.press('Escape');
    await rowOf(a).getByTestId('terminate-confirm').waitFor({ state: 'detached' });
    assert.equal(await rowOf(a).getAttribute('data-state'), 'live', 'cancelled: still live');
    assert.equal(await page.evaluate('document.activeElement?.dataset.testid'), 'terminate', 'focus back');
    await rowOf(a).getByTestId('terminate').click();
    await shot('sessions-terminate-confirm');
    await rowOf(a).getByTestId('terminate-confirm').click();
    await page.locator(`[data-testid="session-${a}"][data-state="ended"]`).waitFor({ timeout: 5_000 });
    await page.getByTestId('note').filter({ hasText: 'terminated' }).waitFor();

    // Ended elsewhere (the API, as the CLI would): the pushed row shows it, with no reload.
    const asked = Date.now();
    const ended = await ts.call(`/admin/sessions/${b}/terminate`, {
      method: 'POST',
      headers: { authorization: lastAuthorization },
    });
    assert.equal(ended.status, 200, ended.text);
    await page.locator(`[data-testid="session-${b}"][data-state="ended"]`).waitFor({ timeout: 5_000 });
    const elapsed = Date.now() - asked;
    console.log(`admin panel: a session ended elsewhere showed ended after ${elapsed} ms`);
    assert.ok(elapsed < 2_000, `the end showed after ${elapsed} ms`); // the push itself: < 1 s (session-events.test.ts)
    assert.equal(await rowOf(c).getAttribute('data-state'), 'live', 'the others untouched');
    await shot('sessions-ended');

    // The Overview counts the one left live.
    await go('overview');
    await page.getByTestId('overview-live-sessions').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('funnel-bootstrap').locator('td').first().textContent(), '3');
    assert.equal(await page.getByTestId('overview-alerts-link').getAttribute('href'), '#/alerts');
    await shot('overview');

    // The Phones page lists a bound phone with its attestation verdict.
    const carol = await ctx.db.user.findUniqueOrThrow({ where: { username: 'carol' } });
    // As a verified WebAuthn attestation leaves the row (a real bind needs a genuine phone here).
    const phone = await ctx.db.mobileDevice.create({
      data: {
        userId: carol.id,
        platform: 'ios',
        publicKey: randomBytes(32).toString('base64url'),
        fingerprint: randomBytes(32).toString('hex'),
        attestationType: 'webauthn',
        attestationVerdict: 'pass',
        attestationFormat: 'packed',
        attestedAt: new Date(),
        hardwareBacked: true,
        userVerified: true,
        status: 'active',
        approvedAt: new Date(),
      },
    });
    await go('phones');
    const phoneRow = page.getByTestId(`phone-${phone.id}`);
    await phoneRow.waitFor({ timeout: 10_000 });
    assert.equal(await phoneRow.getByRole('cell').first().textContent(), 'carol');
    assert.equal(await phoneRow.getByTestId('verdict').textContent(), 'pass');
    await phoneRow.getByText('packed').waitFor();
    await shot('phones');
  });

  it('searches the audit trail by action, opens an event as JSON, exports NDJSON and verifies it', async () => {
    await go('audit');
    await page.getByTestId('audit-action').fill('admin.user_create');
    await page.getByTestId('audit-search').click();
    const actions = page.locator('[data-testid="audit-events"] [data-testid="audit-row-action"]');
    // The near-miss: before the search the page also lists other actions (sign-ins, token creation).
    await until(
      page,
      `(() => {
      const cells = [...document.querySelectorAll('[data-testid="audit-row-action"]')];
      return cells.length > 0 && cells.every((c) => c.textContent === 'admin.user_create');
    })()`,
    );
    const shown = await actions.allTextContents();
    assert.ok(shown.length >= 1);
    const firstRow = page.locator('[data-testid="audit-events"] tbody tr').first();
    await firstRow.getByTestId('audit-toggle').click();
    const json = JSON.parse((await page.getByTestId('audit-json').textContent()) ?? '') as {
      seq: number;
      event: { action: string; result: string };
    };
    assert.equal(json.event.action, 'admin.user_create');
    assert.equal(json.event.result, 'success');
    assert.match((await firstRow.textContent()) ?? '', new RegExp(`^${json.seq}`));

    // A blob: download is a navigation, which the panel's CSP does not restrict.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('audit-export-ndjson').click(),
    ]);
    assert.match(download.suggestedFilename(), /^audit-\d{8}T\d{6}Z\.ndjson$/);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { seq: number; action: string; hash: string });
    assert.equal(records.length, shown.length, 'the export holds what the filter lists');
    for (const r of records) assert.equal(r.action, 'admin.user_create');
    assert.ok(records.some((r) => r.seq === json.seq));
    await page.getByTestId('note').getByText(download.suggestedFilename()).waitFor();

    await page.getByTestId('audit-verify').click();
    const verdict = page.getByTestId('audit-verify-result');
    await verdict.waitFor({ timeout: 30_000 });
    assert.match((await verdict.textContent()) ?? '', /^ok /);
    await page.getByTestId('audit-last-verification').getByText('ok').first().waitFor();
    assert.deepEqual(await violations(), [], 'no CSP violation from the export');
    await shot('audit');
  });

  it('adds a gateway with its pinned host key pasted as an OpenSSH line (provisioning needs a node: not here)', async () => {
    await go('gateways');
    await page
      .getByTestId('gw-control-key')
      .getByText(/^ssh-ed25519 /)
      .waitFor();
    const { line, fingerprint } = sshHostKeyLine();
    await page.getByTestId('gw-name').fill('gw-browser');
    await page.getByTestId('gw-fqdn').fill('gw.example.com');
    await page.getByTestId('gw-addresses').fill('203.0.113.7');
    await page.getByTestId('gw-ssh-host').fill('10.0.0.7');
    await page.getByTestId('gw-cidrs').fill('10.0.0.2/32');
    // The near-miss: a line cut short is refused before anything is sent.
    await page.getByTestId('gw-host-key').fill(line.slice(0, 40));
    await page.getByTestId('gw-host-key-problem').waitFor();
    assert.equal(await page.getByTestId('add-gateway').isDisabled(), true);
    await page.getByTestId('gw-host-key').fill(line);
    await page.getByTestId('gw-host-key-problem').waitFor({ state: 'detached' });
    await page.getByTestId('add-gateway').click();
    const row = page.getByTestId('gateway-gw-browser');
    await row.waitFor();
    assert.equal(await row.getByTestId('gw-fingerprint').textContent(), fingerprint);
    const stored = await ctxOf(ts).db.gateway.findUniqueOrThrow({ where: { name: 'gw-browser' } });
    assert.equal(stored.sshHostKeyFingerprint, fingerprint, 'the pinned key is the pasted one');
    assert.equal(await row.getByTestId('provision').count(), 1);
    // A long host key must not push the page sideways (shot checks it).
    await shot('gateways');
  });

  it('an Auditor sees no write control, and the backend refuses a forged write (403)', async () => {
    // Material the Auditor's pages would offer write controls on, for an Admin.
    const ctx = ctxOf(ts);
    const carol = await ctx.db.user.findUniqueOrThrow({ where: { username: 'carol' } });
    await createDevice(ctx, carol.id);
    await createAlertSink({ db: ctx.db, audit: ctx.audit, log: console }).raise({
      rule: 'dns_leak',
      severity: 'warning',
      key: 'u-c0ffeec0ffeec0ffeec0ffee',
      summary: 'a DNS answer outside the tunnel',
      fields: {},
      evidence: [1],
      firedAt: new Date(),
    });
    await page.getByTestId('sign-out').click();
    await page.getByTestId('notice').waitFor();
    const adminToken = lastAuthorization;
    const replay = (await page.evaluate(
      `fetch('/admin/me', { headers: { authorization: ${JSON.stringify(adminToken)} } }).then(async (r) => [r.status, (await r.json()).code])`,
    )) as [number, string];
    assert.deepEqual(replay, [401, 'VIW_E_TOKEN_INVALID'], 'signing out ended the session at the backend');

    const secret = await firstLogin('audrey', auditorOneTimePassword, AUDITOR_PASSWORD);
    await fullSignIn('audrey', AUDITOR_PASSWORD, secret);
    assert.equal(await page.getByTestId('who').textContent(), 'audrey · Auditor');
    assert.equal(await page.getByTestId('nav-gateways').count(), 0, 'no page the role cannot read');
    assert.equal(await page.getByTestId('nav-audit').count(), 1);
    for (const id of ['users', 'devices', 'enrollment-tokens', 'alerts', 'sessions', 'phones', 'audit']) {
      await go(id);
      await page.locator(`[data-testid="page-${id}"] tbody tr`).first().waitFor();
      for (const control of WRITE_CONTROLS)
        assert.equal(await page.getByTestId(control).count(), 0, `${control} on ${id}`);
      await shot(`auditor-${id}`);
    }
    await page.evaluate(`location.hash = '#/gateways'`);
    await page.getByText('Your role cannot open that page.').waitFor();

    const forged = (await page.evaluate(
      `fetch('/admin/users', {
        method: 'POST',
        headers: { authorization: ${JSON.stringify(lastAuthorization)}, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'mallory', role: 'Admin' }),
      }).then(async (r) => [r.status, (await r.json()).code])`,
    )) as [number, string];
    assert.match(lastAuthorization, /^Bearer viw_adm_/);
    assert.deepEqual(forged, [403, 'VIW_E_FORBIDDEN']);
    assert.equal(await ctx.db.user.count({ where: { username: 'mallory' } }), 0);
  });

  it('no CSP violation in normal use; an injected inline script does not run and fires a violation', async () => {
    assert.deepEqual(await violations(), [], 'nothing the panel itself does is blocked');
    assert.deepEqual(pageErrors, []);
    const outcome = await page.evaluate(INJECT_INLINE_SCRIPT);
    assert.equal(outcome, 'TypeError', 'Trusted Types refuse the script text');
    assert.equal(await page.evaluate('window.__pwned'), false);
    const v = await violations();
    assert.equal(v.length, 1);
    assert.equal(v[0]?.directive, 'require-trusted-types-for');
    assert.match(v[0]?.sample ?? '', /window\.__pwned = true/);
  });

  it('script-src alone blocks it too (the CSP without its Trusted Types directives)', async () => {
    const bare = await browser.newContext();
    try {
      await bare.addInitScript(RECORD_VIOLATIONS);
      // The page as the backend serves it (fetched by the pinned test client), its CSP less TT.
      const served = await ts.call('/admin/', { headers: { 'accept-encoding': 'identity' } });
      const csp = String(served.headers['content-security-policy'])
        .split(';')
        .filter((d) => !/trusted-types/.test(d))
        .join(';');
      assert.match(csp, /script-src 'self'/);
      await bare.route('**/admin/', (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'content-security-policy': csp },
          body: served.text,
        }),
      );
      const p = await bare.newPage();
      await p.goto(url);
      await p.getByTestId('username').waitFor();
      assert.equal(await p.evaluate(INJECT_INLINE_SCRIPT), 'appended');
      await until(p, 'window.__violations.length > 0');
      assert.equal(await p.evaluate('window.__pwned'), false);
      const v = (await p.evaluate('window.__violations')) as Violation[];
      assert.deepEqual(
        v.map((x) => [x.directive, x.blocked]),
        [['script-src-elem', 'inline']],
      );
    } finally {
      await bare.close();
    }
  });
});
