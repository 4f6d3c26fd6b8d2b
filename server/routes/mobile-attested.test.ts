// Production mode over real HTTPS: a phone binds with a WebAuthn platform credential whose packed
// attestation chains to the attestation root the backend is configured with, is production-trusted,
// and — after a user-verified assertion by that credential — sees the code of a real desktop login. Without options, with another root, with `none`,
// with a registration made for another key's challenge, the bind is refused with a stable code and nothing is stored.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeKey32 } from '../../core/api/common.js';
import { phoneFingerprint } from '../../core/crypto/fingerprints.js';
import { generateSigningKeyPair } from '../../core/crypto/request-signing.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type AttestationIdentity, SoftwareAuthenticator } from '../../mobile/sim/authenticator.js';
import { newAuthenticatorModel } from '../pki/attestation-ca.js';
import { issueBindCode } from '../services/mobile/bind-codes.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import {
  createUser,
  ctxOf,
  enrolledDesktop,
  freshIp,
  loginBody,
  phoneClient,
  signedCall,
} from '../testing/identity-fixtures.js';

const PW = 'a long enough password 42';
const AAGUID = Uint8Array.from(createHash('sha256').update('managed phone model').digest().subarray(0, 16));

async function attestationCa(org: string) {
  const model = await newAuthenticatorModel(org, AAGUID, 30);
  const identity: AttestationIdentity = { x5c: [model.certDer], keyPem: model.keyPem, aaguid: AAGUID };
  return { rootPem: model.rootPem, identity };
}

const codeOf = (e: unknown) => (isViworksError(e) ? e.code : String(e));

describe('phone binding with attestation (production mode)', () => {
  let ts: TestServer;
  let dir: string;
  let trusted: Awaited<ReturnType<typeof attestationCa>>;
  let stranger: Awaited<ReturnType<typeof attestationCa>>;
  let origin: string;
  before(async () => {
    trusted = await attestationCa('Managed Phones');
    stranger = await attestationCa('Someone Else');
    dir = mkdtempSync(join(tmpdir(), 'viw-att-'));
    writeFileSync(join(dir, 'roots.pem'), trusted.rootPem);
    ts = await startTestServer({ mode: 'production', attestationRoots: { packed: join(dir, 'roots.pem') } });
    origin = `https://localhost:${ts.server.port}`;
  });
  after(async () => {
    await ts?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bindCode = async (userId: string) =>
    (await issueBindCode(ctxOf(ts).kv, { userId, issuedBy: 'test' })).code;

  it('binds an attested phone, which then receives the code of a real desktop login', async () => {
    const user = await createUser(ts, 'alice', PW);
    const keys = generateSigningKeyPair();
    const auth = SoftwareAuthenticator.create(trusted.identity);
    const bound = await phoneClient(ts).bindAttested(await bindCode(user.id), 'android', keys, auth, origin);
    assert.equal(bound.attestation_verdict, 'pass');
    assert.equal(bound.trust_mode, 'production');
    const row = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({ where: { id: bound.mobile_device_id } });
    assert.equal(row.attestationType, 'webauthn');
    assert.equal(row.attestationFormat, 'packed');
    assert.equal(row.aaguid?.replaceAll('-', ''), Buffer.from(AAGUID).toString('hex'));
    assert.equal(row.hardwareBacked, true);
    assert.equal(row.userVerified, true);
    assert.equal(row.credentialId, Buffer.from(auth.credentialId).toString('base64url'));
    assert.match(String(row.trustRoot), /^[0-9a-f]{64}$/);

    // A desktop logs in; the production backend serves the code to this phone, and it works.
    const desk = await enrolledDesktop(ts, 'alice', PW);
    const ip = freshIp();
    const sign = { keyId: desk.deviceId, secretKey: desk.keys.signing.secretKey, localAddress: ip };
    const login = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
      ...sign,
      json: loginBody('alice', PW, desk.deviceId),
    });
    assert.equal(login.status, 200, login.text);
    // The code is not sent with the challenge: only after a user-verified assertion.
    const raw = await signedCall<Record<string, unknown>>(ts, '/mobile/otp', {
      keyId: bound.mobile_device_id,
      secretKey: keys.secretKey,
    });
    assert.equal(raw.status, 200, raw.text);
    assert.equal(raw.body.code, undefined, 'no code before user verification');
    assert.ok((raw.body.reveal as { challenge?: string }).challenge);
    const id = { mobileDeviceId: bound.mobile_device_id, keys };
    await assert.rejects(phoneClient(ts).pendingOtp(id), (e) => codeOf(e) === 'VIW_E_ATTESTATION_REQUIRED');
    const other = SoftwareAuthenticator.create(trusted.identity);
    await assert.rejects(
      phoneClient(ts).pendingOtp({ ...id, authenticator: { device: other, origin } }),
      (e) => codeOf(e) === 'VIW_E_ATTESTATION_INVALID',
      'another credential, even from a trusted model, cannot reveal the code',
    );
    const pending = await phoneClient(ts).pendingOtp({ ...id, authenticator: { device: auth, origin } });
    assert.ok(pending, 'the attested phone sees the challenge and, after user verification, the code');
    const row2 = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({ where: { id: bound.mobile_device_id } });
    assert.equal(row2.signCount, 1, 'the assertion counter is kept');
    const verified = await signedCall<{ login_state: string }>(ts, '/auth/verify', {
      ...sign,
      json: { txn_id: login.body.txn_id, otp_code: pending.code },
    });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.login_state, 'ok');

    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    const bind = events.find((e) => e.action === 'mobile.bind' && e.result === 'success');
    assert.match(String(bind?.error_msg), /packed attestation .* verdict pass/);
    assert.ok(events.some((e) => e.action === 'mobile.otp_reveal' && e.result === 'success'));
  });

  it('refuses another root, a registration for another key’s challenge and none, storing nothing; the code then binds once', async () => {
    const user = await createUser(ts, 'bob', PW);
    const code = await bindCode(user.id);
    const before = await ctxOf(ts).db.mobileDevice.count();
    const client = phoneClient(ts);

    const foreign = SoftwareAuthenticator.create(stranger.identity);
    await assert.rejects(
      client.bindAttested(code, 'android', generateSigningKeyPair(), foreign, origin),
      (e) => codeOf(e) === 'VIW_E_ATTESTATION_INVALID',
    );

    // A registration made for another phone key's challenge: this key never asked for options.
    const keysA = generateSigningKeyPair();
    const keysB = generateSigningKeyPair();
    const auth = SoftwareAuthenticator.create(trusted.identity);
    const optionsA = await signedCall<{ challenge: string }>(ts, '/mobile/bind/options', {
      keyId: phoneFingerprint(keysA.publicKey),
      secretKey: keysA.secretKey,
      json: { bind_code: code, public_key: encodeKey32(keysA.publicKey) },
      localAddress: freshIp(),
    });
    const registration = auth.register({ rpId: 'localhost', origin, challenge: optionsA.body.challenge });
    const asB = await signedCall(ts, '/mobile/bind', {
      keyId: phoneFingerprint(keysB.publicKey),
      secretKey: keysB.secretKey,
      json: {
        bind_code: code,
        platform: 'android',
        public_key: encodeKey32(keysB.publicKey),
        attestation: { type: 'webauthn', registration },
      },
      localAddress: freshIp(),
    });
    assert.equal(asB.status, 403, asB.text);
    assert.equal((asB.body as { code: string }).code, 'VIW_E_ATTESTATION_INVALID');

    await assert.rejects(
      client.bind(code, 'android', generateSigningKeyPair()),
      (e) => codeOf(e) === 'VIW_E_ATTESTATION_REQUIRED',
    );
    assert.equal(await ctxOf(ts).db.mobileDevice.count(), before, 'nothing stored');

    // The code still works for a real phone — once.
    const keys = generateSigningKeyPair();
    const first = await client.bindAttested(code, 'ios', keys, auth, origin);
    assert.equal(first.attestation_verdict, 'pass');
    await assert.rejects(
      client.bindAttested(
        code,
        'ios',
        generateSigningKeyPair(),
        SoftwareAuthenticator.create(trusted.identity),
        origin,
      ),
      (e) => codeOf(e) === 'VIW_E_BIND_CODE_INVALID',
    );
    const failures = (await ctxOf(ts).db.auditEvent.findMany())
      .map((e) => JSON.parse(e.event))
      .filter((e) => e.action === 'mobile.bind' && e.error_code?.startsWith('VIW_E_ATTESTATION'));
    assert.ok(failures.length >= 3, 'each refused bind is audited');
  });

  it('refuses to start with an attestation root file that is not a CA certificate', async () => {
    writeFileSync(join(dir, 'bad.pem'), 'not a certificate');
    await assert.rejects(
      startTestServer({ mode: 'production', attestationRoots: { packed: join(dir, 'bad.pem') } }),
      (e) =>
        codeOf(e) === 'VIW_E_CONFIG' &&
        /attestationRoots\.packed/.test((e as Error & { details: string[] }).details.join()),
    );
  });
});
