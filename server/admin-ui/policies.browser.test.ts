// The Policies page in a real browser (Debian's chromium via playwright-core) against a real
// backend serving a fresh build of the panel: dual approval end to end. Admin A (browser context 1)
// edits a policy's document, previews the diff and saves a relaxation (a route added): it shows
// pending, with no Approve for its author, and A's forged approve through fetch is refused by the
// API (403 VIW_E_FORBIDDEN). Admin B (context 2, own sign-in with TOTP) sees it pending with who
// asked, approves after the confirmation; A's page, read again, shows version 2 in effect. An
// Operator (context 3) reads policies and the queue but sees no write control. Screenshots go to
// $VIWORKS_TEST_ARTIFACTS (default <tmp>/viworks-artifacts), never into the repository.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromiumPeer, launchChromium } from '../../mobile/app/testing/chromium.js';
import { policyDoc } from '../services/policy/admin-fixtures.js';
import { bearer, createAccount, sessionFor, type TestAccount, totpCode } from '../testing/admin-fixtures.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { ctxOf } from '../testing/identity-fixtures.js';
import { type AdminUiBuild, buildAdminUi } from './build.js';

const peer = chromiumPeer();
const artifacts = process.env.VIWORKS_TEST_ARTIFACTS ?? join(tmpdir(), 'viworks-artifacts');
/** What policies:write adds to the page: none may show for an Operator. */
const POLICY_WRITE_CONTROLS = [
  'policy-editor',
  'policy-save',
  'assign',
  'unassign',
  'approve-change',
  'reject-change',
];
const NARROW = policyDoc(['10.10.0.0/16']);
/** One more network reachable: a relaxation (server/routes/admin/policies.test.ts). */
const WIDER = policyDoc(['10.10.0.0/16', '172.16.0.0/12']);

let dir: string;
let ui: AdminUiBuild;
let ts: TestServer;
let browser: Browser;
let url: string;
let alice: TestAccount;
let bob: TestAccount;
let oscar: TestAccount;
/** Each browser page's latest Authorization header (the forged-approve test replays A's). */
const authorizations = new WeakMap<Page, string>();

before(async () => {
  if (peer.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'viw-admin-ui-policies-'));
  ui = await buildAdminUi(join(dir, 'ui'));
  ts = await startTestServer({ adminUiDir: ui.outDir });
  url = `https://localhost:${ts.server.port}/admin/`;
  browser = await launchChromium([
    `--ignore-certificate-errors-spki-list=${ts.server.banner.backend_pins.primary_b64}`,
  ]);
  const ctx = ctxOf(ts);
  alice = await createAccount(ctx, 'Admin', 'pol.alice');
  bob = await createAccount(ctx, 'Admin', 'pol.bob');
  oscar = await createAccount(ctx, 'Operator', 'pol.oscar');
  const created = await ts.call('/admin/policies', {
    json: { name: 'office', document: NARROW },
    headers: bearer(await sessionFor(ctx, alice.user)),
  });
  assert.equal(created.status, 201, created.text);
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  await ts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A browser context of its own, signed in with password + TOTP, on the Policies page. */
async function signedInPage(account: TestAccount): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('request', (r) => {
    const auth = r.headers().authorization;
    if (auth) authorizations.set(page, auth);
  });
  await page.goto(url);
  await page.getByTestId('username').fill(account.user.username);
  await page.getByTestId('password').fill(account.password);
  await page.getByTestId('totp').fill(totpCode(account.totpSecret));
  await page.getByTestId('sign-in').click();
  await page.getByTestId('who').waitFor({ timeout: 10_000 });
  await openPolicies(page);
  return page;
}

async function openPolicies(page: Page) {
  await page.getByTestId('nav-policies').click();
  await page.getByTestId('page-policies').waitFor();
  await page.getByTestId('policy-office').waitFor();
}

const pendingRows = (page: Page) => page.locator('tr[data-testid^="change-"][data-status="pending"]');
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(artifacts, `admin-ui-policies-${name}.png`), fullPage: true });

describe('the Policies page: a relaxation waits for a second administrator', { skip: peer.skip }, () => {
  let a: Page;
  let b: Page;
  let changeId = '';

  it("admin A previews and saves a relaxation: pending, and A's own approval is neither offered nor accepted", async () => {
    a = await signedInPage(alice);
    assert.equal(await a.getByTestId('policy-office').getAttribute('data-version'), '1');
    await a.getByTestId('open-policy').click();
    await a.getByTestId('policy-editor').fill('{ not json');
    await a.getByTestId('policy-preview').click();
    assert.equal(await a.getByTestId('problem-code').textContent(), 'VIW_E_BAD_REQUEST');
    assert.equal(await a.getByTestId('policy-save').count(), 0, 'nothing to save before a valid preview');

    await a.getByTestId('policy-editor').fill(JSON.stringify(WIDER, null, 2));
    await a.getByTestId('policy-preview').click();
    const added = await a.locator('[data-testid="policy-diff"] [data-op="+"]').allTextContents();
    assert.ok(
      added.some((l) => l.includes('"172.16.0.0/12"')),
      `the added route is previewed: ${added.join('')}`,
    );
    assert.ok(!added.some((l) => l.includes('"10.10.0.0/16"\n')), 'the kept route is not shown as added');
    await a.getByTestId('policy-save').click();
    await a.getByTestId('note').waitFor();
    assert.match((await a.getByTestId('note').textContent()) ?? '', /waits for a second administrator/);

    await pendingRows(a).first().waitFor();
    assert.equal(await pendingRows(a).count(), 1);
    const row = pendingRows(a).first();
    changeId = ((await row.getAttribute('data-testid')) ?? '').replace(/^change-/, '');
    assert.match(await row.getByTestId('change-author').innerText(), /pol\.alice \(you\)/);
    assert.match(await row.innerText(), /routes added: 172\.16\.0\.0\/12/);
    assert.equal(await row.getByTestId('approve-change').count(), 0, 'the author is offered no Approve');
    assert.equal(await row.getByTestId('reject-change').count(), 1, 'but may withdraw it');
    assert.equal(await a.getByTestId('policy-office').getAttribute('data-version'), '1', 'nothing applied');
    await shot(a, 'pending-author');

    const forged = (await a.evaluate(
      `fetch('/admin/policies/changes/${changeId}/approve', {
        method: 'POST',
        headers: { authorization: ${JSON.stringify(authorizations.get(a))}, 'content-type': 'application/json' },
        body: '{}',
      }).then(async (r) => [r.status, (await r.json()).code])`,
    )) as [number, string];
    assert.deepEqual(forged, [403, 'VIW_E_FORBIDDEN']);
  });

  it('admin B, in a second browser context, sees who asked and approves after the confirmation', async () => {
    b = await signedInPage(bob);
    const row = b.getByTestId(`change-${changeId}`);
    await row.waitFor();
    assert.equal(await row.getByTestId('change-author').innerText(), 'pol.alice');
    await row.getByTestId('approve-change').click();
    await row.getByTestId('approve-change-confirm').waitFor();
    await shot(b, 'approve-confirm');
    await row.getByTestId('approve-change-confirm').click();
    await b.getByTestId('note').waitFor();
    assert.match((await b.getByTestId('note').textContent()) ?? '', /approved/);
    await b.locator('[data-testid="policy-office"][data-version="2"]').waitFor();
    assert.equal(await pendingRows(b).count(), 0);
  });

  it("A's page, read again, shows the approved version in effect", async () => {
    await a.getByTestId('nav-overview').click();
    await a.getByTestId('page-overview').waitFor();
    await openPolicies(a);
    await a.locator('[data-testid="policy-office"][data-version="2"]').waitFor();
    assert.equal(await pendingRows(a).count(), 0);
    await a.getByTestId('open-policy').click();
    assert.match((await a.getByTestId('policy-document').textContent()) ?? '', /"172\.16\.0\.0\/12"/);
    await shot(a, 'applied');
  });

  it('an Operator reads policies and the queue, with no write control', async () => {
    // Another relaxation, so the Operator has a pending change in front of them.
    const held = await ts.call<{ status: string }>('/admin/policies/office/versions', {
      json: { document: policyDoc(['10.10.0.0/16', '172.16.0.0/12', '192.168.0.0/16']) },
      headers: bearer(await sessionFor(ctxOf(ts), alice.user)),
    });
    assert.equal(held.status, 202, held.text);
    const o = await signedInPage(oscar);
    await pendingRows(o).first().waitFor();
    await o.getByTestId('open-policy').click();
    await o.getByTestId('policy-document').waitFor();
    for (const control of POLICY_WRITE_CONTROLS)
      assert.equal(await o.getByTestId(control).count(), 0, `${control} shown to an Operator`);
    await shot(o, 'operator');
  });
});
