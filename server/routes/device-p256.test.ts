// A `p256` desktop (the key type of a TPM device) against the real backend over HTTPS, with software
// P-256 keys standing in for the TPM (the daemon's TPM test, daemon/keystore/tpm2/tpm2-daemon.test.ts,
// does the same with a real software TPM): enrollment, ECDSA-signed login and verify, the bootstrap
// sealed in the P-256 suite; refusals of mismatched key types (and of key_protection tpm2 without
// them); and `requireHardwareKey`.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LoginResponse, VerifyResponse } from '../../core/api/auth.js';
import type { EnrolledDevice } from '../../core/api/device.js';
import { validateBootstrap } from '../../core/bootstrap/payload.js';
import { toWireId } from '../../core/bootstrap/wire-ids.js';
import { openEnvelope, p256EcdhRecipient } from '../../core/crypto/envelope.js';
import { ENVELOPE_SUITE_P256 } from '../../core/crypto/envelope-format.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair } from '../../core/crypto/hpke.js';
import { signRequest, signRequestWith } from '../../core/crypto/request-signing.js';
import { ERRORS } from '../../core/errors/catalogue.js';
import type { PhoneIdentity } from '../../mobile/sim/phone-client.js';
import { enrollmentTokenHash } from '../services/device/enrollment-tokens.js';
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

const PW = 'p256 device password 1234';

interface P256Device {
  readonly hpke: { privateKey: KeyObject; point: Uint8Array };
  readonly signing: { privateKey: KeyObject; point: Uint8Array };
  readonly fingerprint: string;
}

function p256Key(): { privateKey: KeyObject; point: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return { privateKey, point: new Uint8Array(point) };
}

function newP256Device(): P256Device {
  const hpke = p256Key();
  const signing = p256Key();
  return { hpke, signing, fingerprint: deviceFingerprint(hpke.point, signing.point) };
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function p256EnrollBody(d: P256Device, extra: Record<string, unknown>) {
  return {
    hpke_public_key: b64url(d.hpke.point),
    signing_public_key: b64url(d.signing.point),
    fingerprint: d.fingerprint,
    key_type: 'p256',
    platform: 'linux',
    client_version: '0.1.0',
    key_protection: 'tpm2',
    ...extra,
  };
}

/** A call signed with ECDSA P-256 as the TPM store signs (r ‖ s over SHA-256 of the signed text). */
async function p256Call<T>(
  ts: TestServer,
  path: string,
  o: { keyId: string; key: KeyObject; json?: unknown; localAddress: string },
): Promise<HttpReply<T>> {
  const raw = o.json === undefined ? '' : JSON.stringify(o.json);
  const method = o.json === undefined ? 'GET' : 'POST';
  const headers = await signRequestWith(
    o.keyId,
    async (text) => new Uint8Array(sign('sha256', text, { key: o.key, dsaEncoding: 'ieee-p1363' })),
    method,
    path,
    Buffer.from(raw),
  );
  const h: Record<string, string> = { ...headers };
  if (raw) h['content-type'] = 'application/json';
  return ts.call<T>(path, { method, headers: h, localAddress: o.localAddress, ...(raw ? { raw } : {}) });
}

function assertError(reply: HttpReply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal((reply.body as { code: string }).code, code, reply.text);
}

describe('a p256 (TPM key type) desktop against the backend', () => {
  let ts: TestServer;
  let phone: PhoneIdentity;
  before(async () => {
    ts = await startTestServer({ mode: 'development' });
    phone = await boundPhone(ts, (await createUser(ts, 'tess', PW)).id);
  });
  after(async () => ts?.stop());

  it('enrolls, logs in with ECDSA-signed requests and gets a bootstrap sealed in the P-256 suite', async () => {
    const d = newP256Device();
    const ip = freshIp();
    const enrolled = await p256Call<EnrolledDevice>(ts, '/device/enroll', {
      keyId: d.fingerprint,
      key: d.signing.privateKey,
      json: p256EnrollBody(d, { username: 'tess', password: PW, enrollment_token: await createToken(ts) }),
      localAddress: ip,
    });
    assert.equal(enrolled.status, 201, enrolled.text);
    const deviceId = enrolled.body.device_id;
    const row = await ctxOf(ts).db.desktopDevice.findUniqueOrThrow({ where: { id: deviceId } });
    assert.equal(row.keyType, 'p256');
    assert.equal(row.keyProtection, 'tpm2');
    assert.equal(row.hpkePublicKey, b64url(d.hpke.point));

    const login = await p256Call<LoginResponse>(ts, '/auth/login', {
      keyId: deviceId,
      key: d.signing.privateKey,
      json: loginBody('tess', PW, deviceId),
      localAddress: ip,
    });
    assert.equal(login.status, 200, login.text);
    const otp = await phoneClient(ts).pendingOtp(phone, 5);
    assert.ok(otp);
    const verify = await p256Call<VerifyResponse>(ts, '/auth/verify', {
      keyId: deviceId,
      key: d.signing.privateKey,
      json: { txn_id: login.body.txn_id, otp_code: otp.code },
      localAddress: ip,
    });
    assert.equal(verify.status, 200, verify.text);

    const boot = await ts.call<{ envelope: { suite: string }; session_id: string }>('/client/bootstrap', {
      headers: {
        authorization: `Bearer ${verify.body.access_token}`,
        'viworks-bootstrap-grant': verify.body.bootstrap_grant,
      },
      localAddress: ip,
    });
    assert.equal(boot.status, 200, boot.text);
    assert.equal(boot.body.envelope.suite, ENVELOPE_SUITE_P256);
    // Opened the way the TPM opens it: only the ECDH step uses the private key.
    const ecdh = async (peer: Uint8Array) => {
      const { createECDH } = await import('node:crypto');
      const e = createECDH('prime256v1');
      const jwk = d.hpke.privateKey.export({ format: 'jwk' });
      e.setPrivateKey(Buffer.from(jwk.d!, 'base64url'));
      return new Uint8Array(e.computeSecret(Buffer.from(peer)));
    };
    const pt = await openEnvelope(boot.body.envelope, {
      recipient: p256EcdhRecipient(d.hpke.point, ecdh),
      expectedDeviceId: toWireId('d', deviceId),
    });
    const payload = validateBootstrap(JSON.parse(Buffer.from(pt).toString('utf8')));
    assert.equal(payload.session_id, boot.body.session_id);
  });

  it('enrolls without a token: the phone code confirms, the confirmation ECDSA-signed by the new key', async () => {
    const d = newP256Device();
    const ip = freshIp();
    const started = await p256Call<{ txn_id: string }>(ts, '/device/enroll', {
      keyId: d.fingerprint,
      key: d.signing.privateKey,
      json: p256EnrollBody(d, { username: 'tess', password: PW }),
      localAddress: ip,
    });
    assert.equal(started.status, 202, started.text);
    const code = (await phoneClient(ts).pendingOtp(phone, 5))?.code;
    assert.ok(code);
    const confirmed = await p256Call<EnrolledDevice>(ts, '/device/enroll/confirm', {
      keyId: d.fingerprint,
      key: d.signing.privateKey,
      json: { txn_id: started.body.txn_id, otp_code: code },
      localAddress: ip,
    });
    assert.equal(confirmed.status, 201, confirmed.text);
    const row = await ctxOf(ts).db.desktopDevice.findUniqueOrThrow({
      where: { id: confirmed.body.device_id },
    });
    assert.equal(row.keyType, 'p256');
    assert.equal(row.status, 'pending_approval');
  });

  it('refuses an Ed25519 signature on a p256 device and P-256 keys sent without key_type', async () => {
    const d = newP256Device();
    const body = p256EnrollBody(d, {
      username: 'tess',
      password: PW,
      enrollment_token: await createToken(ts),
    });
    const { key_type: _kt, ...untyped } = body;
    const reply = await p256Call(ts, '/device/enroll', {
      keyId: d.fingerprint,
      key: d.signing.privateKey,
      json: untyped,
      localAddress: freshIp(),
    });
    assertError(reply, 400, 'VIW_E_VALIDATION');

    // A p256 enrollment signed with some Ed25519 key: the server verifies with the enrolled P-256 key only.
    const ed = (await import('../../core/crypto/request-signing.js')).generateSigningKeyPair();
    const raw = JSON.stringify(body);
    const forged = await ts.call('/device/enroll', {
      method: 'POST',
      raw,
      headers: {
        ...signRequest(d.fingerprint, ed.secretKey, 'POST', '/device/enroll', Buffer.from(raw)),
        'content-type': 'application/json',
      },
      localAddress: freshIp(),
    });
    assertError(forged, 401, 'VIW_E_SIGNATURE_INVALID');
  });

  it('refuses p256 keys that are not points on the curve, and 32-byte keys labelled p256', async () => {
    const d = newP256Device();
    const off = Uint8Array.from(d.hpke.point);
    off[64] = off[64]! ^ 1;
    const x = await generateDeviceKeyPair();
    for (const hpke of [off, x.publicKey]) {
      const reply = await p256Call(ts, '/device/enroll', {
        keyId: deviceFingerprint(hpke, d.signing.point),
        key: d.signing.privateKey,
        json: {
          ...p256EnrollBody(d, { username: 'tess', password: PW, enrollment_token: await createToken(ts) }),
          hpke_public_key: b64url(hpke),
          fingerprint: deviceFingerprint(hpke, d.signing.point),
        },
        localAddress: freshIp(),
      });
      assertError(reply, 400, 'VIW_E_VALIDATION');
    }
  });

  it('refuses key_protection tpm2 with x25519_ed25519 keys, before the token or the password is looked at', async () => {
    const db = ctxOf(ts).db;
    const failedBefore = (await db.user.findUniqueOrThrow({ where: { username: 'tess' } })).failedLogins;
    const devicesBefore = await db.desktopDevice.count();
    const keys = await newDesktopKeys();
    const token = await createToken(ts);
    const attempts: Array<Record<string, unknown>> = [
      // Token path, wrong password: refused for the key type, not as a failed login.
      { enrollment_token: token, password: 'not the password at all' },
      { enrollment_token: token, password: 'not the password at all', key_type: 'x25519_ed25519' },
      // Phone-code path, right password: refused instead of a transaction (202).
      { password: PW },
    ];
    for (const extra of attempts) {
      const reply = await signedCall<{ code: string; message: string }>(ts, '/device/enroll', {
        keyId: keys.fingerprint,
        secretKey: keys.signing.secretKey,
        json: enrollBody(keys, { username: 'tess', key_protection: 'tpm2', ...extra }),
        localAddress: freshIp(),
      });
      assertError(reply, 400, 'VIW_E_VALIDATION');
      assert.match(reply.text, /key_protection tpm2 requires key_type p256 \(got x25519_ed25519\)/);
    }
    const row = await db.enrollmentToken.findUniqueOrThrow({
      where: { tokenHash: enrollmentTokenHash(token) },
    });
    assert.equal(row.uses, 0, 'the token was not used');
    assert.equal(await db.desktopDevice.count(), devicesBefore, 'no device');
    const failedAfter = (await db.user.findUniqueOrThrow({ where: { username: 'tess' } })).failedLogins;
    assert.equal(failedAfter, failedBefore, 'no password was checked');
    // The same keys with the protection they can have enroll.
    const ok = await signedCall(ts, '/device/enroll', {
      keyId: keys.fingerprint,
      secretKey: keys.signing.secretKey,
      json: enrollBody(keys, { username: 'tess', password: PW, enrollment_token: token }),
      localAddress: freshIp(),
    });
    assert.equal(ok.status, 201, ok.text);
  });

  it('a device enrolled without key_type is x25519_ed25519 (its bootstraps: full-flow.test.ts)', async () => {
    const { deviceId, keys } = await enrolledDesktop(ts, 'tess', PW);
    const row = await ctxOf(ts).db.desktopDevice.findUniqueOrThrow({ where: { id: deviceId } });
    assert.equal(row.keyType, 'x25519_ed25519');
    assert.equal(keys.hpkePublicKey.length, 43);
  });
});

describe('requireHardwareKey', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ mode: 'development', requireHardwareKey: true });
    await createUser(ts, 'hana', PW);
  });
  after(async () => ts?.stop());

  it('refuses a software-protected device with VIW_E_HARDWARE_KEY_REQUIRED and a hint, before any password check', async () => {
    const before = (await ctxOf(ts).db.user.findUniqueOrThrow({ where: { username: 'hana' } })).failedLogins;
    const x = await generateDeviceKeyPair();
    const ed = (await import('../../core/crypto/request-signing.js')).generateSigningKeyPair();
    const fingerprint = deviceFingerprint(x.publicKey, ed.publicKey);
    const raw = JSON.stringify({
      hpke_public_key: b64url(x.publicKey),
      signing_public_key: b64url(ed.publicKey),
      fingerprint,
      platform: 'linux',
      client_version: '0.1.0',
      key_protection: 'software',
      username: 'hana',
      password: 'wrong password entirely',
      enrollment_token: await createToken(ts),
    });
    const reply = await ts.call<{ code: string; hint: string }>('/device/enroll', {
      method: 'POST',
      raw,
      headers: {
        ...signRequest(fingerprint, ed.secretKey, 'POST', '/device/enroll', Buffer.from(raw)),
        'content-type': 'application/json',
      },
      localAddress: freshIp(),
    });
    assertError(reply, 403, 'VIW_E_HARDWARE_KEY_REQUIRED');
    assert.equal(reply.body.hint, ERRORS.VIW_E_HARDWARE_KEY_REQUIRED.hint);
    const after = (await ctxOf(ts).db.user.findUniqueOrThrow({ where: { username: 'hana' } })).failedLogins;
    assert.equal(after, before, 'no password was checked');
    assert.equal(await ctxOf(ts).db.desktopDevice.count(), 0);
  });

  it('enrolls a TPM-protected (p256) device', async () => {
    const d = newP256Device();
    const reply = await p256Call<EnrolledDevice>(ts, '/device/enroll', {
      keyId: d.fingerprint,
      key: d.signing.privateKey,
      json: p256EnrollBody(d, { username: 'hana', password: PW, enrollment_token: await createToken(ts) }),
      localAddress: freshIp(),
    });
    assert.equal(reply.status, 201, reply.text);
  });
});
