// POST /device/enroll and /device/enroll/confirm over real HTTPS: input edges, proof of
// possession, fingerprint, tokens, the password + phone code path, duplicates, rate limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeyPair } from '../../core/crypto/request-signing.js';
import type { HttpReply } from '../testing/harness.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  type DesktopKeys,
  enrollBody,
  freshIp,
  newDesktopKeys,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

const PW = 'enrollment password 1234';

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.body as { code: string }).code, code, reply.text);
  assert.ok(!reply.text.includes('stack'));
}

describe('POST /device/enroll', () => {
  let ts: TestServer;
  const enroll = (
    keys: DesktopKeys,
    extra: Record<string, unknown>,
    ip = freshIp(),
    signer = keys.signing.secretKey,
  ) =>
    signedCall<Record<string, string>>(ts, '/device/enroll', {
      keyId: keys.fingerprint,
      secretKey: signer,
      json: enrollBody(keys, { username: 'ivan', password: PW, ...extra }),
      localAddress: ip,
    });
  const confirm = (
    keys: DesktopKeys,
    txn: string,
    code: string,
    ip: string,
    signer = keys.signing.secretKey,
  ) =>
    signedCall<Record<string, string>>(ts, '/device/enroll/confirm', {
      keyId: keys.fingerprint,
      secretKey: signer,
      json: { txn_id: txn, otp_code: code },
      localAddress: ip,
    });
  let ivanId = '';

  before(async () => {
    ts = await startTestServer({ mode: 'development' });
    ivanId = (await createUser(ts, 'ivan', PW)).id;
  });
  after(async () => ts.stop());

  it('refuses malformed, mistyped, unknown-field, oversized and inconsistent requests', async () => {
    const keys = await newDesktopKeys();
    const ip = freshIp();
    assertError(
      await ts.call('/device/enroll', { raw: '{"a"', localAddress: ip }),
      400,
      'VIW_E_MALFORMED_JSON',
    );
    const body = enrollBody(keys, { username: 'ivan', password: PW });
    assertError(
      await ts.call('/device/enroll', { json: { ...body, platform: 'beos' }, localAddress: ip }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(
      await ts.call('/device/enroll', { json: { ...body, key_protection: 1 }, localAddress: ip }),
      400,
      'VIW_E_VALIDATION',
    );
    assertError(
      await ts.call('/device/enroll', { json: { ...body, nickname: 'x' }, localAddress: ip }),
      400,
      'VIW_E_UNKNOWN_FIELD',
    );
    for (const username of ['Ivan', 'i', 'ivan smith']) {
      // The one username rule (core/api/common.ts), as for admin user creation and login.
      assertError(
        await ts.call('/device/enroll', { json: { ...body, username }, localAddress: ip }),
        400,
        'VIW_E_VALIDATION',
      );
    }
    assertError(
      await ts.call('/device/enroll', {
        json: { ...body, client_version: 'v'.repeat(80_000) },
        localAddress: ip,
      }),
      413,
      'VIW_E_BODY_TOO_LARGE',
    );
    assertError(
      await ts.call('/device/enroll', { json: { ...body, hpke_public_key: 'AAAA' }, localAddress: ip }),
      400,
      'VIW_E_VALIDATION',
    );
    const other = await newDesktopKeys();
    const mismatch = await enroll({ ...keys, fingerprint: other.fingerprint }, {});
    assertError(mismatch, 400, 'VIW_E_VALIDATION');
    assert.deepEqual((mismatch.body as unknown as { details: string[] }).details, [
      'fingerprint does not match the public keys',
    ]);
  });

  it('requires proof of possession of the new signing key', async () => {
    const keys = await newDesktopKeys();
    const token = await createToken(ts);
    const body = enrollBody(keys, { username: 'ivan', password: PW, enrollment_token: token });
    assertError(
      await ts.call('/device/enroll', { json: body, localAddress: freshIp() }),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    assertError(
      await enroll(keys, { enrollment_token: token }, freshIp(), generateSigningKeyPair().secretKey),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const wrongKeyId = await signedCall(ts, '/device/enroll', {
      keyId: 'a'.repeat(64),
      secretKey: keys.signing.secretKey,
      json: body,
      localAddress: freshIp(),
    });
    assertError(wrongKeyId, 401, 'VIW_E_SIGNATURE_INVALID');
    assert.equal(
      (await enroll(keys, { enrollment_token: token })).status,
      201,
      'the token was not used up by refusals',
    );
  });

  it('enrolls with a token: auto-approve decides the status, use limits hold, duplicates are 409', async () => {
    const keys = await newDesktopKeys();
    const token = await createToken(ts, { autoApprove: false, maxUses: 1 });
    const created = await enroll(keys, { enrollment_token: token });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'pending_approval');
    const row = await ctxOf(ts).db.desktopDevice.findUniqueOrThrow({
      where: { id: created.body.device_id! },
    });
    assert.deepEqual(
      [row.userId, row.fingerprint, row.platform, row.keyProtection, row.signingPublicKey, row.hpkePublicKey],
      [ivanId, keys.fingerprint, 'linux', 'software', keys.signingPublicKey, keys.hpkePublicKey],
    );
    assertError(await enroll(keys, { enrollment_token: await createToken(ts) }), 409, 'VIW_E_DEVICE_EXISTS');
    assertError(
      await enroll(await newDesktopKeys(), { enrollment_token: token }),
      403,
      'VIW_E_ENROLL_TOKEN_INVALID',
    );
    assertError(
      await enroll(await newDesktopKeys(), { enrollment_token: `viw_et_${'x'.repeat(43)}` }),
      403,
      'VIW_E_ENROLL_TOKEN_INVALID',
    );
  });

  it('with a token still needs the right password; refusals do not use the token', async () => {
    const token = await createToken(ts);
    assertError(
      await enroll(await newDesktopKeys(), { enrollment_token: token, password: 'nope' }),
      401,
      'VIW_E_AUTH_FAILED',
    );
    assertError(
      await enroll(await newDesktopKeys(), { enrollment_token: token, username: 'nobody' }),
      401,
      'VIW_E_AUTH_FAILED',
    );
    const ok = await enroll(await newDesktopKeys(), { enrollment_token: token });
    assert.equal(ok.body.status, 'active');
    await ctxOf(ts).db.user.update({ where: { id: ivanId }, data: { failedLogins: 0 } });
  });

  it('enrolls without a token through the code on the bound phone, pending approval', async () => {
    const phone = await boundPhone(ts, ivanId);
    const keys = await newDesktopKeys();
    const ip = freshIp();
    const started = await enroll(keys, {}, ip);
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.enroll_state, 'otp_required');
    const otp = await phoneClient(ts).pendingOtp(phone);
    assert.ok(otp);
    assert.equal(otp.purpose, 'enroll');
    assert.equal(otp.context.device_id, null);
    assert.equal(otp.context.device_platform, 'linux');
    const txn = started.body.txn_id!;
    assertError(
      await confirm(keys, txn, otp.code, ip, generateSigningKeyPair().secretKey),
      401,
      'VIW_E_SIGNATURE_INVALID',
    );
    const wrongCode = String((Number(otp.code) + 1) % 1_000_000).padStart(6, '0');
    assertError(await confirm(keys, txn, wrongCode, ip), 401, 'VIW_E_OTP_INVALID');
    const done = await confirm(keys, txn, otp.code, ip);
    assert.equal(done.status, 201, done.text);
    assert.equal(done.body.status, 'pending_approval');
    assert.equal(done.body.fingerprint, keys.fingerprint);

    // Unknown user and wrong password: the same 202, a transaction no code confirms.
    for (const extra of [{ username: 'nobody' }, { password: 'Not The Password 1' }]) {
      const k = await newDesktopKeys();
      const decoy = await enroll(k, extra, ip);
      assert.equal(decoy.status, 202);
      assert.deepEqual(Object.keys(decoy.body).sort(), ['enroll_state', 'otp_expires_at', 'txn_id']);
      assertError(await confirm(k, decoy.body.txn_id!, otp.code, ip), 401, 'VIW_E_OTP_INVALID');
    }
    assert.equal(await phoneClient(ts).pendingOtp(phone), null);

    // The phone can say no.
    const k = await newDesktopKeys();
    const denied = await enroll(k, {}, ip);
    const pending = await phoneClient(ts).pendingOtp(phone);
    await phoneClient(ts).deny(phone, denied.body.txn_id!);
    assertError(await confirm(k, denied.body.txn_id!, pending!.code, freshIp()), 403, 'VIW_E_OTP_DENIED');
    assertError(await confirm(k, `viw_tx_${'Q'.repeat(43)}`, '123456', freshIp()), 401, 'VIW_E_OTP_EXPIRED');

    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    assert.ok(events.some((e) => e.action === 'device.enroll_confirm' && e.result === 'success'));
    assert.ok(events.some((e) => e.action === 'device.enroll' && e.error_code === 'VIW_E_DEVICE_EXISTS'));
  });

  it('never logs or audits a password, token or code', async () => {
    const text = `${ts.logs()}\n${(await ctxOf(ts).db.auditEvent.findMany()).map((e) => e.event).join('\n')}`;
    assert.ok(text.includes('device.enroll'));
    for (const needle of [PW, 'Not The Password 1', 'viw_et_', 'viw_tx_'])
      assert.ok(!text.includes(needle), needle);
  });

  it('rate-limits enrollment per source address', async () => {
    const ip = freshIp();
    const replies: HttpReply[] = [];
    for (let i = 0; i < 11; i++)
      replies.push(await ts.call('/device/enroll', { raw: '{', localAddress: ip }));
    assert.equal(replies[9]!.status, 400);
    assertError(replies[10]!, 429, 'VIW_E_RATE_LIMITED');
  });
});
