// The phone routes over real HTTPS: bind (codes, proof of possession, replacement, attestation
// policy per mode), reading the pending code (signed, long-poll), denying, rate limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKey32 } from '../../core/api/common.js';
import { phoneFingerprint } from '../../core/crypto/fingerprints.js';
import { generateSigningKeyPair } from '../../core/crypto/request-signing.js';
import { issueBindCode } from '../services/mobile/bind-codes.js';
import type { HttpReply } from '../testing/harness.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createUser,
  ctxOf,
  enrolledDesktop,
  freshIp,
  loginBody,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

const PW = 'phone test password 99';

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.body as { code: string }).code, code, reply.text);
  assert.ok(!reply.text.includes('stack'));
}

async function assertRejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: { code?: string }) => err.code === code);
}

function bindBody(publicKey: Uint8Array, code: string, attestation: object = { type: 'none' }) {
  return { bind_code: code, platform: 'ios', public_key: encodeKey32(publicKey), attestation };
}

describe('phone routes (development mode)', () => {
  let ts: TestServer;
  let userId = '';
  const bind = (keys = generateSigningKeyPair(), code: string, ip = freshIp(), attestation?: object) =>
    signedCall(ts, '/mobile/bind', {
      keyId: phoneFingerprint(keys.publicKey),
      secretKey: keys.secretKey,
      json: bindBody(keys.publicKey, code, attestation),
      localAddress: ip,
    });
  const newCode = async () => (await issueBindCode(ctxOf(ts).kv, { userId, issuedBy: 'test' })).code;

  before(async () => {
    ts = await startTestServer({ mode: 'development' });
    userId = (await createUser(ts, 'jane', PW)).id;
  });
  after(async () => ts.stop());

  it('refuses malformed and unsigned binds, wrong and reused codes, and duplicate keys', async () => {
    const ip = freshIp();
    const keys = generateSigningKeyPair();
    const body = bindBody(keys.publicKey, 'ABCDEFGHJK');
    assertError(await ts.call('/mobile/bind', { raw: '{', localAddress: ip }), 400, 'VIW_E_MALFORMED_JSON');
    assertError(
      await ts.call('/mobile/bind', { json: { ...body, platform: 7 }, localAddress: ip }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(
      await ts.call('/mobile/bind', {
        json: { ...body, attestation: { type: 'none', rooted: false } },
        localAddress: ip,
      }),
      400,
      'VIW_E_UNKNOWN_FIELD',
    );
    assertError(
      await ts.call('/mobile/bind', {
        json: { ...body, attestation: { type: 'play_integrity', token: 'e'.repeat(20_000) } },
        localAddress: ip,
      }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(
      await ts.call('/mobile/bind', { json: { ...body, public_key: 'x'.repeat(70_000) }, localAddress: ip }),
      413,
      'VIW_E_BODY_TOO_LARGE',
    );
    assertError(
      await ts.call('/mobile/bind', { json: body, localAddress: ip }),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const code = await newCode();
    const forged = await signedCall(ts, '/mobile/bind', {
      keyId: phoneFingerprint(keys.publicKey),
      secretKey: generateSigningKeyPair().secretKey,
      json: bindBody(keys.publicKey, code),
      localAddress: ip,
    });
    assertError(forged, 401, 'VIW_E_SIGNATURE_INVALID');
    assertError(await bind(keys, 'ABCDEFGHJK'), 403, 'VIW_E_BIND_CODE_INVALID');
    // Typed the way people type it: lower case, grouped with a hyphen.
    const typed = `${code.slice(0, 5)}-${code.slice(5)}`.toLowerCase();
    const ok = await bind(keys, typed);
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(
      { ...(ok.body as object), mobile_device_id: 'x' },
      {
        mobile_device_id: 'x',
        status: 'active',
        attestation_verdict: 'unknown',
        trust_mode: 'development',
      },
    );
    assertError(await bind(generateSigningKeyPair(), code), 403, 'VIW_E_BIND_CODE_INVALID');
    assertError(await bind(keys, await newCode()), 409, 'VIW_E_DEVICE_EXISTS');
    assert.match(ts.logs(), /phone bound without verified attestation/);
  });

  it('a new phone replaces the old one, which is then refused; live sessions are re-evaluated', async () => {
    const signals: string[] = [];
    const stop = ctxOf(ts).policyWatch.subscribe((reason) => signals.push(reason));
    const first = await boundPhone(ts, userId);
    const second = await boundPhone(ts, userId);
    stop();
    // The phone's attestation is posture a policy may require (#14): the session watcher hears of it.
    assert.deepEqual(signals, ['a phone was bound', 'a phone was bound']);
    await assertRejects(phoneClient(ts).pendingOtp(first), 'VIW_E_DEVICE_REVOKED');
    assert.equal(await phoneClient(ts).pendingOtp(second), null);
    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    assert.ok(events.some((e) => e.action === 'mobile.unbind' && e.device_id === first.mobileDeviceId));
  });

  it('serves the code only to signed requests of the user’s phone, and honours ?wait', async () => {
    const phone = await boundPhone(ts, userId);
    const ip = freshIp();
    assertError(await ts.call('/mobile/otp', { localAddress: ip }), 401, 'VIW_E_SIGNATURE_INVALID');
    const signer = { keyId: phone.mobileDeviceId, secretKey: phone.keys.secretKey, localAddress: ip };
    assertError(await signedCall(ts, '/mobile/otp?wait=soon', signer), 400, 'VIW_E_VALIDATION');
    assertError(await signedCall(ts, '/mobile/otp?all=1', signer), 400, 'VIW_E_UNKNOWN_FIELD');
    const empty = await signedCall(ts, '/mobile/otp', signer);
    assert.equal(empty.status, 204);
    assert.equal(empty.text, '');
    const t0 = Date.now();
    assert.equal((await signedCall(ts, '/mobile/otp?wait=1', signer)).status, 204);
    assert.ok(Date.now() - t0 >= 900, 'long-poll waited');

    // Another user's login never reaches this phone.
    await createUser(ts, 'kim', PW);
    const kimDesk = await enrolledDesktop(ts, 'kim', PW);
    const kimPhone = await boundPhone(
      ts,
      (await ctxOf(ts).db.user.findUniqueOrThrow({ where: { username: 'kim' } })).id,
    );
    const kimLogin = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
      keyId: kimDesk.deviceId,
      secretKey: kimDesk.keys.signing.secretKey,
      json: loginBody('kim', PW, kimDesk.deviceId),
      localAddress: ip,
    });
    assert.equal((await signedCall(ts, '/mobile/otp', signer)).status, 204);
    assertError(
      await signedCall(ts, '/mobile/otp/deny', { ...signer, json: { txn_id: kimLogin.body.txn_id } }),
      404,
      'VIW_E_NOT_FOUND',
    );
    assert.ok(await phoneClient(ts).pendingOtp(kimPhone), 'kim’s own phone sees it');
  });

  it('deny ends the login: the desktop gets VIW_E_OTP_DENIED even with the right code', async () => {
    await createUser(ts, 'lee', PW);
    const lee = (await ctxOf(ts).db.user.findUniqueOrThrow({ where: { username: 'lee' } })).id;
    const desk = await enrolledDesktop(ts, 'lee', PW);
    const phone = await boundPhone(ts, lee);
    const ip = freshIp();
    const started = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
      keyId: desk.deviceId,
      secretKey: desk.keys.signing.secretKey,
      json: loginBody('lee', PW, desk.deviceId),
      localAddress: ip,
    });
    const otp = (await phoneClient(ts).pendingOtp(phone))!;
    await phoneClient(ts).deny(phone, otp.txn_id);
    assert.equal(await phoneClient(ts).pendingOtp(phone), null);
    await phoneClient(ts).deny(phone, otp.txn_id); // idempotent: a retried deny is fine
    const verify = await signedCall(ts, '/auth/verify', {
      keyId: desk.deviceId,
      secretKey: desk.keys.signing.secretKey,
      json: { txn_id: started.body.txn_id, otp_code: otp.code },
      localAddress: ip,
    });
    assertError(verify, 403, 'VIW_E_OTP_DENIED');
    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    assert.ok(events.some((e) => e.action === 'auth.otp_deny' && e.result === 'success'));
    assert.ok(events.some((e) => e.action === 'auth.otp_verify' && e.result === 'denied'));
  });

  it('rate-limits phone requests per source address', async () => {
    const ip = freshIp();
    const replies: HttpReply[] = [];
    for (let i = 0; i < 61; i++) replies.push(await ts.call('/mobile/otp', { localAddress: ip }));
    assert.equal(replies[59]!.status, 401);
    assertError(replies[60]!, 429, 'VIW_E_RATE_LIMITED');
  });
});

describe('phone routes (production mode)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ mode: 'production' });
  });
  after(async () => ts.stop());

  it('refuses phones without a verified attestation, and never serves codes to unattested ones', async () => {
    const user = await createUser(ts, 'max', PW);
    const { code } = await issueBindCode(ctxOf(ts).kv, { userId: user.id, issuedBy: 'test' });
    // Native evidence of a format this backend is not configured for is refused with a fixed reason.
    for (const [attestation, error, detail] of [
      [{ type: 'none' }, 'VIW_E_ATTESTATION_REQUIRED', 'attestation is required'],
      [
        { type: 'play_integrity', token: 'eyJhbGciOi.J9' },
        'VIW_E_ATTESTATION_INVALID',
        'attestation format play_integrity is not accepted by this backend',
      ],
      [
        { type: 'app_attest', key_id: `${'A'.repeat(43)}=`, attestation_object: 'o2NmbXQ' },
        'VIW_E_ATTESTATION_INVALID',
        'attestation format app_attest is not accepted by this backend',
      ],
    ] as const) {
      const keys = generateSigningKeyPair();
      const reply = await signedCall<{ details: string[] }>(ts, '/mobile/bind', {
        keyId: phoneFingerprint(keys.publicKey),
        secretKey: keys.secretKey,
        json: bindBody(keys.publicKey, code, attestation),
        localAddress: freshIp(),
      });
      assertError(reply, 403, error);
      assert.deepEqual(reply.body.details, [detail]);
    }
    assert.equal(await ctxOf(ts).db.mobileDevice.count(), 0);
    // A phone bound in development (verdict unknown) gets nothing once the backend runs in production.
    const keys = generateSigningKeyPair();
    const row = await ctxOf(ts).db.mobileDevice.create({
      data: {
        userId: user.id,
        platform: 'android',
        publicKey: encodeKey32(keys.publicKey),
        fingerprint: phoneFingerprint(keys.publicKey),
        attestationType: 'none',
        status: 'active',
      },
    });
    await assertRejects(
      phoneClient(ts).pendingOtp({ mobileDeviceId: row.id, keys }),
      'VIW_E_ATTESTATION_REQUIRED',
    );
  });
});

describe('phone long-poll', () => {
  it('does not hold up shutdown', async () => {
    const other = await startTestServer({ mode: 'development' });
    const user = await createUser(other, 'ned', PW);
    const phone = await boundPhone(other, user.id);
    const polling = phoneClient(other)
      .pendingOtp(phone, 25)
      .catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await other.stop();
    assert.ok(Date.now() - t0 < 5_000, 'stopped promptly');
    assert.ok((await polling) === null || (await polling) === 'closed');
  });
});
