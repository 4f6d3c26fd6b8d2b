// The whole identity flow over real HTTPS: enroll a desktop with a fleet token → bind a phone with
// a bind code → password login → the phone reads the code → verify → access token + bootstrap
// grant. Every server log line and audit event of the flow is then searched for the secrets used.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse, VerifyResponse } from '../../core/api/auth.js';
import type { EnrolledDevice } from '../../core/api/device.js';
import { accessTokens, bootstrapGrants } from '../services/auth/grants.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  enrollBody,
  freshIp,
  loginBody,
  newDesktopKeys,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

describe('identity flow: enroll → bind phone → login → phone code → verify', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ mode: 'development' });
  });
  after(async () => ts.stop());

  it('issues device-bound tokens and leaks no secret into logs or audit', async () => {
    const password = 'correct horse battery staple 7';
    const user = await createUser(ts, 'alice', password);
    const token = await createToken(ts, { autoApprove: true });
    const keys = await newDesktopKeys();
    const ip = freshIp();

    const enrolled = await signedCall<EnrolledDevice>(ts, '/device/enroll', {
      keyId: keys.fingerprint,
      secretKey: keys.signing.secretKey,
      json: enrollBody(keys, { username: 'alice', password, enrollment_token: token }),
      localAddress: ip,
    });
    assert.equal(enrolled.status, 201, enrolled.text);
    assert.equal(enrolled.body.status, 'active');
    assert.equal(enrolled.body.fingerprint, keys.fingerprint);
    assert.deepEqual(enrolled.body.backend_pins, ts.server.banner.backend_pins);
    const deviceId = enrolled.body.device_id;

    const phone = await boundPhone(ts, user.id);
    const row = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({ where: { id: phone.mobileDeviceId } });
    assert.equal(row.attestationType, 'none');
    assert.equal(row.attestationVerdict, 'unknown');
    assert.equal(await phoneClient(ts).pendingOtp(phone), null, 'nothing pending before login');

    // The phone long-polls before the login arrives; the challenge wakes it.
    const polled = phoneClient(ts).pendingOtp(phone, 10);
    const login = await signedCall<LoginResponse>(ts, '/auth/login', {
      keyId: deviceId,
      secretKey: keys.signing.secretKey,
      json: loginBody('alice', password, deviceId),
      localAddress: ip,
    });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.login_state, 'otp_required');
    const otp = await polled;
    assert.ok(otp, 'the phone sees the pending code');
    assert.equal(otp.txn_id, login.body.txn_id);
    assert.equal(otp.purpose, 'login');
    assert.equal(otp.expires_at, login.body.otp_expires_at);
    assert.deepEqual(
      { ...otp.context, requested_at: 'x' },
      {
        source_ip: ip,
        source_network: 'private',
        country: null,
        asn: null,
        device_id: deviceId,
        device_name: null,
        device_platform: 'linux',
        requested_at: 'x',
      },
    );
    assert.ok(Date.parse(otp.expires_at) - Date.parse(otp.context.requested_at) === 120_000);

    const verify = await signedCall<VerifyResponse>(ts, '/auth/verify', {
      keyId: deviceId,
      secretKey: keys.signing.secretKey,
      json: { txn_id: login.body.txn_id, otp_code: otp.code },
      localAddress: ip,
    });
    assert.equal(verify.status, 200, verify.text);
    const kv = ctxOf(ts).kv;
    const claims = await accessTokens(kv).read(verify.body.access_token);
    assert.deepEqual(
      { ...claims, issuedAt: 0 },
      { userId: user.id, deviceId, sourceIp: ip, loginTxnId: login.body.txn_id, issuedAt: 0 },
    );
    assert.ok(await bootstrapGrants(kv).read(verify.body.bootstrap_grant));
    assert.equal(await phoneClient(ts).pendingOtp(phone), null, 'the code is gone once used');

    const again = await signedCall(ts, '/auth/verify', {
      keyId: deviceId,
      secretKey: keys.signing.secretKey,
      json: { txn_id: login.body.txn_id, otp_code: otp.code },
      localAddress: ip,
    });
    assert.equal(again.status, 401);
    assert.equal((again.body as { code: string }).code, 'VIW_E_OTP_EXPIRED', 'a code works once');

    // Audit: every step recorded, under the user's pseudonym, never the username.
    const events = (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((e) =>
      JSON.parse(e.event),
    );
    const actions = events.map((e) => `${e.action}:${e.result}`);
    for (const a of [
      'device.enroll:success',
      'mobile.bind:success',
      'auth.login:success',
      'mobile.otp_fetch:success',
      'auth.otp_verify:success',
      'auth.otp_verify:failure',
    ]) {
      assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(' ')}`);
    }
    const pseudonym = ctxOf(ts).audit.userPseudonym(user.auditId);
    assert.ok(events.filter((e) => e.action === 'auth.login').every((e) => e.user_id === pseudonym));

    const secrets = [
      password,
      token,
      otp.code,
      login.body.txn_id,
      verify.body.access_token,
      verify.body.bootstrap_grant,
      Buffer.from(keys.signing.secretKey).toString('base64'),
      Buffer.from(keys.signing.secretKey).toString('base64url'),
      Buffer.from(keys.signing.secretKey.subarray(0, 32)).toString('base64url'),
      Buffer.from(phone.keys.secretKey.subarray(0, 32)).toString('base64url'),
    ];
    const haystacks = {
      logs: ts.logs(),
      audit: readFileSync(join(ts.dataDir, 'audit', 'audit.ndjson'), 'utf8'),
      auditDb: events.map((e) => JSON.stringify(e)).join('\n'),
    };
    assert.ok(haystacks.logs.length > 1000, 'logs were captured');
    for (const [where, text] of Object.entries(haystacks)) {
      for (const s of secrets) assert.ok(!text.includes(s), `${where} must not contain a secret`);
      assert.ok(!text.includes('alice'), `${where} must not contain the username`);
      assert.ok(!new RegExp(`\\b${otp.code}\\b`).test(text), `${where} must not contain the code`);
    }
  });
});
