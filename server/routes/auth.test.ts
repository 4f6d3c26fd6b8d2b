// POST /auth/login and /auth/verify over real HTTPS: input edges, signatures, anti-enumeration,
// OTP rules (wrong, expired, reused, attempts, binding), lockout, the access policy (also the
// minimum client version, judged by the version each login reports), rate limit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse, VerifyOk } from '../../core/api/auth.js';
import type { PolicyDocument } from '../../core/api/policy.js';
import { generateSigningKeyPair, signRequest } from '../../core/crypto/request-signing.js';
import {
  ACCESS_TOKEN_TTL_MS,
  accessTokens,
  BOOTSTRAP_GRANT_TTL_MS,
  bootstrapGrants,
} from '../services/auth/grants.js';
import { txnHash } from '../services/auth/login-txns.js';
import { defaultPolicyDocument } from '../services/policy/resolve.js';
import type { HttpReply } from '../testing/harness.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  enrollBody,
  enrolledDesktop,
  freshIp,
  loginBody,
  newDesktopKeys,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

type Device = Awaited<ReturnType<typeof enrolledDesktop>>;
const PW = 'a long enough password 42';

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  const body = reply.body as Record<string, unknown>;
  assert.equal(body.code, code, reply.text);
  assert.equal(typeof body.hint, 'string');
  assert.ok(!reply.text.includes('stack') && !/\bat .*\.ts:\d+/.test(reply.text), 'no stack on the wire');
}

describe('POST /auth/login and /auth/verify', () => {
  let ts: TestServer;
  const login = (d: Device, body: unknown, ip: string) =>
    signedCall<LoginResponse>(ts, '/auth/login', {
      keyId: d.deviceId,
      secretKey: d.keys.signing.secretKey,
      json: body,
      localAddress: ip,
    });
  const verify = (d: Device, txn: string, code: string, ip: string) =>
    signedCall(ts, '/auth/verify', {
      keyId: d.deviceId,
      secretKey: d.keys.signing.secretKey,
      json: { txn_id: txn, otp_code: code },
      localAddress: ip,
    });
  /** A user with an active desktop and a bound phone. */
  const person = async (name: string, opts: { mustChangePassword?: boolean } = {}) => {
    const user = await createUser(ts, name, PW, opts);
    const device = await enrolledDesktop(ts, name, PW);
    const phone = await boundPhone(ts, user.id);
    return { user, device, phone };
  };
  const codeFor = async (p: Awaited<ReturnType<typeof person>>) =>
    (await phoneClient(ts).pendingOtp(p.phone))?.code;
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  // Loopback sources are private: only the extra ranges give them a country and AS (docs/geo.md).
  const geoDir = mkdtempSync(join(tmpdir(), 'viw-auth-geo-'));
  const GEO_IP = '127.0.200.9';
  before(async () => {
    const geoExtraRanges = join(geoDir, 'ranges.json');
    writeFileSync(
      geoExtraRanges,
      JSON.stringify({
        v: 1,
        ranges: [
          { cidr: '127.0.200.0/24', country: 'DE', asn: 64512, organization: 'Lab Carrier' },
          { cidr: '127.0.200.128/25', country: 'RU' },
        ],
      }),
    );
    ts = await startTestServer({ mode: 'development', geoExtraRanges });
  });
  after(async () => {
    await ts.stop();
    rmSync(geoDir, { recursive: true, force: true });
  });

  it('refuses malformed, mistyped, unknown-field and oversized bodies with stable codes', async () => {
    const ip = freshIp();
    assertError(
      await ts.call('/auth/login', { raw: '{"username":', localAddress: ip }),
      400,
      'VIW_E_MALFORMED_JSON',
    );
    assertError(
      await ts.call('/auth/login', {
        json: { ...loginBody('xx', 'y', crypto.randomUUID()), username: 5 },
        localAddress: ip,
      }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(
      await ts.call('/auth/login', {
        json: { ...loginBody('xx', 'y', crypto.randomUUID()), admin: true },
        localAddress: ip,
      }),
      400,
      'VIW_E_UNKNOWN_FIELD',
    );
    assertError(
      await ts.call('/auth/login', {
        json: { ...loginBody('xx', 'y', crypto.randomUUID()), password: 'p'.repeat(70_000) },
        localAddress: ip,
      }),
      413,
      'VIW_E_BODY_TOO_LARGE',
    );
    assertError(
      await ts.call('/auth/verify', {
        json: { txn_id: `viw_tx_${'A'.repeat(43)}`, otp_code: '12345a' },
        localAddress: ip,
      }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(await ts.call('/auth/verify', { json: [], localAddress: ip }), 400, 'VIW_E_VALIDATION');
    // The one username rule (core/api/common.ts): lower case, 2–64 characters.
    for (const username of ['Gina', 'g', 'has space']) {
      assertError(
        await ts.call('/auth/login', {
          json: loginBody(username, 'y', crypto.randomUUID()),
          localAddress: ip,
        }),
        400,
        'VIW_E_VALIDATION',
      );
    }
  });

  it('requires a valid, fresh signature by the active device named in the body', async () => {
    const { device } = await person('sig-user');
    const ip = freshIp();
    const body = loginBody('sig-user', PW, device.deviceId);
    assertError(
      await ts.call('/auth/login', { json: body, localAddress: ip }),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const stranger = generateSigningKeyPair();
    assertError(
      await signedCall(ts, '/auth/login', {
        keyId: device.deviceId,
        secretKey: stranger.secretKey,
        json: body,
        localAddress: ip,
      }),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const raw = JSON.stringify(body);
    const headers = {
      ...signRequest(device.deviceId, device.keys.signing.secretKey, 'POST', '/auth/login', Buffer.from(raw)),
    };
    const altered = raw.replace('sig-user', 'sig-usex');
    assertError(
      await ts.call('/auth/login', {
        raw: altered,
        headers: { ...headers, 'content-type': 'application/json' },
        localAddress: ip,
      }),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const signed = { ...headers, 'content-type': 'application/json' };
    assert.equal((await ts.call('/auth/login', { raw, headers: signed, localAddress: ip })).status, 200);
    const replayed = await ts.call('/auth/login', { raw, headers: signed, localAddress: ip });
    assertError(replayed, 401, 'VIW_E_SIGNATURE_INVALID');
    assert.deepEqual((replayed.body as { details: string[] }).details, ['replayed request']);
    const other = await enrolledDesktop(ts, 'sig-user', PW);
    assertError(await login(device, loginBody('sig-user', PW, other.deviceId), ip), 400, 'VIW_E_VALIDATION');
  });

  it('tells only the key holder that the device is pending or revoked', async () => {
    await createUser(ts, 'pending-user', PW);
    const keys = await newDesktopKeys();
    const enrolled = await signedCall<{ device_id: string; status: string }>(ts, '/device/enroll', {
      keyId: keys.fingerprint,
      secretKey: keys.signing.secretKey,
      json: enrollBody(keys, {
        username: 'pending-user',
        password: PW,
        enrollment_token: await createToken(ts, { autoApprove: false }),
      }),
      localAddress: freshIp(),
    });
    assert.equal(enrolled.body.status, 'pending_approval');
    const d = { deviceId: enrolled.body.device_id, keys };
    const ip = freshIp();
    assertError(await login(d, loginBody('pending-user', PW, d.deviceId), ip), 403, 'VIW_E_DEVICE_PENDING');
    await ctxOf(ts).db.desktopDevice.update({
      where: { id: d.deviceId },
      data: { status: 'revoked', revokedAt: new Date() },
    });
    assertError(await login(d, loginBody('pending-user', PW, d.deviceId), ip), 403, 'VIW_E_DEVICE_REVOKED');
  });

  it('answers unknown user, wrong password and another user’s device exactly like a real login', async () => {
    const carol = await person('carol');
    const dave = await person('dave');
    const ip = freshIp();
    const replies = [
      await login(carol.device, loginBody('nobody-here', PW, carol.device.deviceId), ip),
      await login(carol.device, loginBody('carol', `${PW}!`, carol.device.deviceId), ip),
      await login(carol.device, loginBody('dave', PW, carol.device.deviceId), ip),
    ];
    assert.equal(await phoneClient(ts).pendingOtp(carol.phone), null, 'no challenge for a decoy');
    assert.equal(await phoneClient(ts).pendingOtp(dave.phone), null, 'no challenge for a decoy');
    const genuine = await login(carol.device, loginBody('carol', PW, carol.device.deviceId), ip);
    const code = await codeFor(carol);
    assert.ok(code);
    for (const r of [...replies, genuine]) {
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body as object).sort(), ['login_state', 'otp_expires_at', 'txn_id']);
      assert.equal(r.body.login_state, 'otp_required');
      assert.match(r.body.txn_id, /^viw_tx_[A-Za-z0-9_-]{43}$/);
    }
    for (const r of replies) {
      // A decoy never verifies, not even with the code that is live for the real user.
      assertError(await verify(carol.device, r.body.txn_id, code, ip), 401, 'VIW_E_OTP_INVALID');
    }
    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    const decoys = events.filter((e) => e.action === 'auth.login' && e.error_code === 'VIW_E_AUTH_FAILED');
    assert.deepEqual(decoys.map((e) => e.error_msg).sort(), [
      'device of another user',
      'unknown user',
      'wrong password',
    ]);
    assert.ok(decoys.every((e) => e.result === 'failure'));
  });

  it('records the posture the daemon declares in the login audit event, whatever the outcome', async () => {
    const pia = await person('pia');
    const ip = freshIp();
    const posture = {
      dumpable: false,
      core_limit_zero: true,
      mlock: 'unavailable',
      no_new_privs: true,
      tracer: false,
    };
    const body = (password: string) => ({ ...loginBody('pia', password, pia.device.deviceId), posture });
    assert.equal((await login(pia.device, body(PW), ip)).status, 200);
    assert.equal((await login(pia.device, body(`${PW}!`), ip)).status, 200, 'a decoy answers the same');
    const events = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((e) => JSON.parse(e.event))
      .filter((e) => e.action === 'auth.login' && e.device_id === pia.device.deviceId);
    const declared = 'posture dumpable=0 core_limit_zero=1 mlock=unavailable no_new_privs=1 tracer=0';
    assert.deepEqual(
      events.slice(-2).map((e) => e.error_msg),
      [`otp sent to bound phone; ${declared}`, `wrong password; ${declared}`],
    );
    // Without it (an older daemon): the reason alone.
    await login(pia.device, loginBody('pia', PW, pia.device.deviceId), ip);
    const last = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 5 }))
      .map((e) => JSON.parse(e.event))
      .find((e) => e.action === 'auth.login');
    assert.equal(last.error_msg, 'otp sent to bound phone');
    // Closed and typed like every body.
    assertError(
      await login(pia.device, { ...body(PW), posture: { ...posture, debugger: 'gdb' } }, ip),
      400,
      'VIW_E_UNKNOWN_FIELD',
    );
    assertError(
      await login(pia.device, { ...body(PW), posture: { ...posture, mlock: 'pinned' } }, ip),
      400,
      'VIW_E_VALIDATION',
    );
    const { tracer: _t, ...partial } = posture;
    assertError(await login(pia.device, { ...body(PW), posture: partial }, ip), 400, 'VIW_E_VALIDATION');
  });

  it('records client.pin_stale once when a login presents a pin retired longer than the window ago', async () => {
    const rex = await person('rex');
    const ip = freshIp();
    const ctx = ctxOf(ts);
    const current = [ctx.pki.backendApi.pins.primary_b64, ctx.pki.backendApi.pins.backup_b64];
    const retired = Buffer.alloc(32, 7).toString('base64');
    const staleEvents = async () =>
      (await ctx.db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
        .map((e) => JSON.parse(e.event))
        .filter((e) => e.action === 'client.pin_stale' && e.device_id === rex.device.deviceId);
    const withPins = (pins: string[]) => ({
      ...loginBody('rex', PW, rex.device.deviceId),
      backend_pins: pins,
    });
    // Inside the window (the key file was written when this backend started): nothing.
    assert.equal((await login(rex.device, withPins([current[0]!, retired]), ip)).status, 200);
    assert.equal((await staleEvents()).length, 0);
    // The roll was 30 days ago.
    const keyFile = join(ctx.config.dataDir, 'pki', 'backend-api.key');
    const old = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(keyFile, old, old);
    assert.equal((await login(rex.device, withPins(current), ip)).status, 200, 'current pins only');
    assert.equal((await staleEvents()).length, 0);
    assert.equal((await login(rex.device, withPins([current[0]!, retired]), ip)).status, 200);
    assert.equal((await login(rex.device, withPins([current[0]!, retired]), ip)).status, 200);
    const events = await staleEvents();
    assert.equal(events.length, 1, 'once a day per device');
    assert.equal(events[0].component, 'client');
    assert.match(events[0].error_msg, new RegExp(`stale pin ${retired.replace(/[+/]/g, '\\$&')}`));
    assert.ok(events[0].duration_ms >= 29 * 86_400_000);
  });

  it('records the source country and AS in the login, verify and phone views (extra ranges)', async () => {
    const gus = await person('gus');
    const started = await login(gus.device, loginBody('gus', PW, gus.device.deviceId), GEO_IP);
    assert.equal(started.status, 200, started.text);
    const shown = await phoneClient(ts).pendingOtp(gus.phone);
    assert.ok(shown);
    assert.deepEqual(
      [shown.context.source_network, shown.context.country, shown.context.asn],
      ['private', 'DE', { number: 64512, organization: 'Lab Carrier' }],
    );
    assert.equal((await verify(gus.device, started.body.txn_id, shown.code, GEO_IP)).status, 200);
    // The most specific range wins; a range without an AS leaves it unknown for a private address.
    await login(gus.device, loginBody('gus', PW, gus.device.deviceId), '127.0.200.200');
    // Outside every range: private, nothing known.
    await login(gus.device, loginBody('gus', `${PW}!`, gus.device.deviceId), freshIp());
    const events = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } }))
      .map((e) => JSON.parse(e.event))
      .filter((e) => e.device_id === gus.device.deviceId && e.action.startsWith('auth.'));
    assert.deepEqual(
      events.map((e) => [e.action, e.result, e.src_ip, e.country, e.asn]),
      [
        ['auth.login', 'success', GEO_IP, 'DE', 64512],
        ['auth.otp_verify', 'success', GEO_IP, 'DE', 64512],
        ['auth.login', 'success', '127.0.200.200', 'RU', null],
        ['auth.login', 'failure', events.at(-1)?.src_ip, null, null],
      ],
    );
  });

  it('enforces wrong, reused, expired, foreign-IP, foreign-device and attempt rules on codes', async () => {
    const erin = await person('erin');
    const ip = freshIp();
    const start = async () =>
      (await login(erin.device, loginBody('erin', PW, erin.device.deviceId), ip)).body.txn_id;

    let txn = await start();
    let code = (await codeFor(erin))!;
    assertError(await verify(erin.device, txn, wrong(code), ip), 401, 'VIW_E_OTP_INVALID');
    const moved = await verify(erin.device, txn, code, freshIp());
    assertError(moved, 401, 'VIW_E_OTP_INVALID');
    assert.deepEqual((moved.body as { details: string[] }).details, [
      'source address changed since the login; log in again',
    ]);
    const second = await enrolledDesktop(ts, 'erin', PW);
    assertError(await verify(second, txn, code, ip), 401, 'VIW_E_OTP_INVALID');
    assert.equal((await verify(erin.device, txn, code, ip)).status, 200);
    assertError(await verify(erin.device, txn, code, ip), 401, 'VIW_E_OTP_EXPIRED');

    txn = await start();
    code = (await codeFor(erin))!;
    for (let i = 1; i <= 4; i++)
      assertError(await verify(erin.device, txn, wrong(code), ip), 401, 'VIW_E_OTP_INVALID');
    assertError(await verify(erin.device, txn, wrong(code), ip), 429, 'VIW_E_OTP_ATTEMPTS');
    assertError(await verify(erin.device, txn, code, ip), 429, 'VIW_E_OTP_ATTEMPTS');
    assert.equal(await phoneClient(ts).pendingOtp(erin.phone), null, 'a dead transaction leaves the phone');

    txn = await start();
    code = (await codeFor(erin))!;
    const kv = ctxOf(ts).kv;
    const key = `otp:txn:${txnHash(txn)}`;
    const record = JSON.parse((await kv.get(key))!);
    await kv.set(key, JSON.stringify({ ...record, expiresAt: Date.now() - 1 }), 60_000);
    assertError(await verify(erin.device, txn, code, ip), 401, 'VIW_E_OTP_EXPIRED');

    // The store never holds the code in the clear.
    txn = await start();
    code = (await codeFor(erin))!;
    const stored = `${await kv.get(`otp:txn:${txnHash(txn)}`)}${await kv.get(`otp:user:${erin.user.id}`)}`;
    assert.ok(!stored.includes(code));
    // A new login ends the previous transaction.
    const newer = await start();
    assertError(await verify(erin.device, txn, code, ip), 401, 'VIW_E_OTP_EXPIRED');
    assert.equal((await phoneClient(ts).pendingOtp(erin.phone))?.txn_id, newer);
  });

  it('locks the account with backoff after repeated failures and never checks the password while locked', async () => {
    const frank = await person('frank');
    const ip = freshIp();
    for (let i = 0; i < 5; i++) {
      const r = await login(frank.device, loginBody('frank', `wrong-${i}`, frank.device.deviceId), ip);
      assert.equal(r.status, 200);
    }
    const db = ctxOf(ts).db;
    let row = await db.user.findUniqueOrThrow({ where: { id: frank.user.id } });
    assert.equal(row.failedLogins, 5);
    const lockMs = row.lockedUntil!.getTime() - Date.now();
    assert.ok(lockMs > 50_000 && lockMs <= 60_000, `first lock is one minute (${lockMs})`);
    assertError(
      await login(frank.device, loginBody('frank', PW, frank.device.deviceId), ip),
      423,
      'VIW_E_ACCOUNT_LOCKED',
    );
    assert.equal(await phoneClient(ts).pendingOtp(frank.phone), null);

    // The lock runs out; one more failure locks for twice as long.
    await db.user.update({ where: { id: frank.user.id }, data: { lockedUntil: new Date(Date.now() - 1) } });
    await login(frank.device, loginBody('frank', 'still wrong', frank.device.deviceId), ip);
    row = await db.user.findUniqueOrThrow({ where: { id: frank.user.id } });
    assert.ok(row.lockedUntil!.getTime() - Date.now() > 110_000, 'second lock is two minutes');

    // A genuine transaction killed by wrong codes also counts; a full login resets the count.
    await db.user.update({ where: { id: frank.user.id }, data: { lockedUntil: null, failedLogins: 0 } });
    const txn = (await login(frank.device, loginBody('frank', PW, frank.device.deviceId), ip)).body.txn_id;
    const code = (await codeFor(frank))!;
    for (let i = 0; i < 5; i++) await verify(frank.device, txn, wrong(code), ip);
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: frank.user.id } })).failedLogins, 1);
    const ok = (await login(frank.device, loginBody('frank', PW, frank.device.deviceId), ip)).body.txn_id;
    assert.equal((await verify(frank.device, ok, (await codeFor(frank))!, ip)).status, 200);
    assert.equal((await db.user.findUniqueOrThrow({ where: { id: frank.user.id } })).failedLogins, 0);
    const events = (await db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    assert.ok(events.some((e) => e.action === 'auth.lockout' && e.result === 'denied'));
    assert.ok(events.some((e) => e.action === 'auth.login' && e.error_code === 'VIW_E_ACCOUNT_LOCKED'));
  });

  it('gives an account that must change its password no desktop tokens, only a password token', async () => {
    const gina = await person('gina', { mustChangePassword: true });
    const ip = freshIp();
    const txn = (await login(gina.device, loginBody('gina', PW, gina.device.deviceId), ip)).body.txn_id;
    // A wrong code still answers like any other login: the state is only told after both factors.
    assertError(await verify(gina.device, txn, wrong((await codeFor(gina))!), ip), 401, 'VIW_E_OTP_INVALID');
    const reply = await verify(gina.device, txn, (await codeFor(gina))!, ip);
    assert.equal(reply.status, 200, reply.text);
    const body = reply.body as Record<string, unknown>;
    assert.equal(body.login_state, 'password_change_required');
    assert.equal(body.access_token, undefined);
    assert.equal(body.bootstrap_grant, undefined);
    assert.match(String(body.password_token), /^viw_pw_/);
  });

  it('never logs or audits a password, code, transaction id or token', async () => {
    const text = `${ts.logs()}\n${(await ctxOf(ts).db.auditEvent.findMany()).map((e) => e.event).join('\n')}`;
    assert.ok(
      text.includes('auth.otp_verify') && text.includes('/auth/login'),
      'logs and audit were captured',
    );
    for (const needle of [PW, 'wrong-0', 'still wrong', 'viw_tx_', 'viw_at_', 'viw_bg_', 'viw_et_']) {
      assert.ok(!text.includes(needle), `no ${needle.slice(0, 7)}… in logs or audit`);
    }
  });

  it('refuses a login the access policy denies before any code is issued, whatever the password (#14)', async () => {
    const p = await person('policy-geo');
    const policy = await ctxOf(ts).db.policy.create({
      data: {
        name: 'deny-de',
        currentVersion: 1,
        versions: {
          create: {
            version: 1,
            authorId: p.user.id,
            document: JSON.stringify({
              ...defaultPolicyDocument(ctxOf(ts).config),
              geo: {
                allow_countries: [],
                deny_countries: ['DE'],
                allow_asns: [],
                deny_asns: [],
                allow_unknown: true,
              },
            }),
          },
        },
      },
    });
    await ctxOf(ts).db.policyAssignment.create({
      data: { subjectType: 'user', subjectId: p.user.id, policyId: policy.id },
    });
    for (const password of [PW, 'not the password at all']) {
      const reply = await login(p.device, loginBody('policy-geo', password, p.device.deviceId), GEO_IP);
      assertError(reply, 403, 'VIW_E_POLICY_LOCATION');
      assert.match(JSON.stringify(reply.body), /policy rule geo.country: DE is denied/);
    }
    assert.equal(await codeFor(p), undefined, 'no code reached the phone');
    const events = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 10 })).map(
      (r) => JSON.parse(r.event) as Record<string, unknown>,
    );
    const denied = events.find((e) => e.action === 'auth.login' && e.error_code === 'VIW_E_POLICY_LOCATION');
    assert.equal(denied?.result, 'denied');
    assert.equal(denied?.country, 'DE');
    assert.match(String(denied?.error_msg), /policy rule geo.country/);
    // Another country (the more specific RU range) is let through to the code as usual.
    const ok = await login(p.device, loginBody('policy-geo', PW, p.device.deviceId), '127.0.200.200');
    assert.equal(ok.status, 200, ok.text);
    const allowed = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 1 })).map(
      (r) => JSON.parse(r.event) as Record<string, unknown>,
    )[0];
    assert.equal(allowed?.policy_id, `p-${policy.id.replaceAll('-', '')}@1`);
  });

  it('judges the minimum client version by the version each login reports, and records it (#14)', async () => {
    const p = await person('version-up'); // enrolled as 0.1.0
    const ctx = ctxOf(ts);
    const document: PolicyDocument = structuredClone(defaultPolicyDocument(ctx.config));
    document.posture.min_client_version = '0.2.0';
    const policy = await ctx.db.policy.create({
      data: {
        name: 'min-0.2.0',
        currentVersion: 1,
        versions: { create: { version: 1, authorId: p.user.id, document: JSON.stringify(document) } },
      },
    });
    await ctx.db.policyAssignment.create({
      data: { subjectType: 'user', subjectId: p.user.id, policyId: policy.id },
    });
    const ip = freshIp();
    const body = (clientVersion?: unknown) => ({
      ...loginBody('version-up', PW, p.device.deviceId),
      ...(clientVersion === undefined ? {} : { client_version: clientVersion }),
    });
    const deviceRow = () => ctx.db.desktopDevice.findUniqueOrThrow({ where: { id: p.device.deviceId } });
    const bootstrap = (t: { accessToken: string; grant: string }) =>
      ts.call<{ session_id?: string; code?: string; details?: string[] }>('/client/bootstrap', {
        headers: { authorization: `Bearer ${t.accessToken}`, 'viworks-bootstrap-grant': t.grant },
        localAddress: ip,
      });
    const lastEvent = async (action: string) =>
      (await ctx.db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: 20 }))
        .map((r) => JSON.parse(r.event) as Record<string, unknown>)
        .find((e) => e.action === action);

    // Shaped like a version and bounded, or refused before anything else.
    for (const bad of ['0.2', '00.2.0', '0.2.0.1', '0.2.0-', `0.2.0-${'r'.repeat(60)}`, 'latest', 20]) {
      assertError(await login(p.device, body(bad), ip), 400, 'VIW_E_VALIDATION');
    }

    // Below the minimum when enrolled, upgraded since: allowed, and the device now says so.
    const up = await login(p.device, body('0.2.0'), ip);
    assert.equal(up.status, 200, up.text);
    const code = await codeFor(p);
    assert.ok(code);
    const ok = await verify(p.device, up.body.txn_id, code, ip);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await deviceRow()).clientVersion, '0.2.0');
    assert.equal((await lastEvent('auth.otp_verify'))?.error_msg, 'client version 0.1.0 -> 0.2.0');
    const okBody = ok.body as VerifyOk;
    const session = await bootstrap({ accessToken: okBody.access_token, grant: okBody.bootstrap_grant });
    assert.equal(session.status, 200, session.text);
    const row = await ctx.db.session.findFirstOrThrow({
      where: { deviceId: p.device.deviceId },
      orderBy: { createdAt: 'desc' },
    });
    assert.equal(row.clientVersion, '0.2.0', 'the session row carries the login’s version');

    // A downgrade is noticed at once, before any code is issued, whatever the device last said.
    const down = await login(p.device, body('0.1.9'), ip);
    assertError(down, 403, 'VIW_E_POLICY_POSTURE');
    assert.match(
      JSON.stringify(down.body),
      /policy rule posture.client_version: client 0.1.9, policy needs 0.2.0/,
    );
    const denied = await lastEvent('auth.login');
    assert.equal(denied?.result, 'denied');
    assert.equal(denied?.error_code, 'VIW_E_POLICY_POSTURE');
    assert.equal(await codeFor(p), undefined, 'no code reached the phone');
    // A daemon that reports no version (before auth v5) meets no minimum.
    const unreported = await login(p.device, body(), ip);
    assertError(unreported, 403, 'VIW_E_POLICY_POSTURE');
    assert.match(JSON.stringify(unreported.body), /client unknown, policy needs 0.2.0/);
    assert.equal((await deviceRow()).clientVersion, '0.2.0', 'a refused login changes no record');

    // The bootstrap judges the login's version too (none reported: none met), not the device record's.
    for (const [reported, judged] of [
      [{ clientVersion: '0.1.9' }, 'client 0.1.9'],
      [{}, 'client unknown'],
    ] as const) {
      const claims = {
        userId: p.user.id,
        deviceId: p.device.deviceId,
        sourceIp: ip,
        loginTxnId: `viw_tx_${'B'.repeat(43)}`,
        issuedAt: Date.now(),
        ...reported,
      };
      const refused = await bootstrap({
        accessToken: await accessTokens(ctx.kv).issue(claims, ACCESS_TOKEN_TTL_MS),
        grant: await bootstrapGrants(ctx.kv).issue(claims, BOOTSTRAP_GRANT_TTL_MS),
      });
      assertError(refused, 403, 'VIW_E_POLICY_POSTURE');
      assert.match(JSON.stringify(refused.body), new RegExp(`${judged}, policy needs 0\\.2\\.0`));
    }
    await ctx.db.policyAssignment.deleteMany({ where: { subjectId: p.user.id } });
  });

  it('rate-limits each source address', async () => {
    const ip = freshIp();
    const replies: HttpReply[] = [];
    for (let i = 0; i < 31; i++) replies.push(await ts.call('/auth/verify', { raw: '{', localAddress: ip }));
    assert.equal(replies[29]!.status, 400);
    assertError(replies[30]!, 429, 'VIW_E_RATE_LIMITED');
    assert.equal(
      (await ts.call('/auth/verify', { raw: '{', localAddress: freshIp() })).status,
      400,
      'other addresses unaffected',
    );
  });
});
