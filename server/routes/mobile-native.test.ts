// Production mode over real HTTPS with the native apps configured: an iPhone binds with an App Attest
// attestation and an Android phone with a Play Integrity verdict, each over the one-time bind
// challenge and the phone's own request-signing key (docs/phone-protocol.md#native-apps), under an
// App Attestation root and Play Console keys the test makes and configures explicitly. A wrong nonce,
// another app or package, a failing device, a development key, another root, the wrong platform or
// no challenge is refused with VIW_E_ATTESTATION_INVALID and a fixed reason, storing nothing and
// auditing each attempt; a backend not configured for a format refuses it the same way.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeKey32 } from '../../core/api/common.js';
import { phoneFingerprint } from '../../core/crypto/fingerprints.js';
import { type Ed25519KeyPair, generateSigningKeyPair } from '../../core/crypto/request-signing.js';
import type { ServerConfig } from '../config.js';
import {
  bindClientData,
  clientDataHash,
  integrityNonce,
  revealClientData,
} from '../services/mobile/attestation/native.js';
import { issueBindCode } from '../services/mobile/bind-codes.js';
import {
  APP_ATTEST_AAGUID,
  type AppAttestTestPki,
  appAttestAssertion,
  appAttestTestPki,
  attestKey,
} from '../testing/app-attest-device.js';
import type { HttpReply, TestServer } from '../testing/harness.js';
import { startTestServer } from '../testing/harness.js';
import {
  createUser,
  ctxOf,
  enrolledDesktop,
  freshIp,
  loginBody,
  signedCall,
} from '../testing/identity-fixtures.js';
import {
  classicVerdict,
  integrityToken,
  newPlayConsoleKeys,
  type PlayConsoleKeys,
  type VerdictFields,
} from '../testing/play-integrity-tokens.js';

const PW = 'a long enough password 42';
const APP_ID = 'ABCDE12345.com.viworks.phone';
const PKG = 'com.viworks.phone';
const CERT = createHash('sha256').update('viworks release signing certificate').digest();
const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');

type Reply = HttpReply<{
  code?: string;
  details?: string[];
  attestation_verdict?: string;
  trust_mode?: string;
}>;

/** The phone side of binding: options for (code, key), then the bind with some evidence. */
function phone(ts: TestServer, code: string, keys: Ed25519KeyPair = generateSigningKeyPair()) {
  const publicKey = encodeKey32(keys.publicKey);
  const signer = { keyId: phoneFingerprint(keys.publicKey), secretKey: keys.secretKey };
  return {
    keys,
    publicKey,
    async options(): Promise<string> {
      const r = await signedCall<{ challenge: string }>(ts, '/mobile/bind/options', {
        ...signer,
        json: { bind_code: code, public_key: publicKey },
        localAddress: freshIp(),
      });
      assert.equal(r.status, 200, r.text);
      return r.body.challenge;
    },
    bind(platform: 'ios' | 'android', attestation: object): Promise<Reply> {
      return signedCall(ts, '/mobile/bind', {
        ...signer,
        json: { bind_code: code, platform, public_key: publicKey, attestation },
        localAddress: freshIp(),
      });
    },
  };
}

/** What the iOS app sends: a new key attested with clientDataHash over the bind client data. */
async function appAttestEvidence(
  pki: AppAttestTestPki,
  clientData: Buffer,
  build: { appId?: string; aaguid?: Buffer } = {},
) {
  const a = await attestKey(pki, { appId: APP_ID, clientDataHash: clientDataHash(clientData), ...build });
  return {
    evidence: {
      type: 'app_attest',
      key_id: a.keyId,
      attestation_object: Buffer.from(a.attestationObject).toString('base64url'),
    },
    device: a,
  };
}

/** What the Android app sends: an integrity token whose nonce is derived from the bind client data. */
function playEvidence(keys: PlayConsoleKeys, clientData: Buffer, edit: Partial<VerdictFields> = {}) {
  const verdict = classicVerdict({
    packageName: PKG,
    nonce: integrityNonce(clientData),
    timestampMs: Date.now() - 1_000,
    certificateDigest: CERT,
    ...edit,
  });
  return { type: 'play_integrity', token: integrityToken(keys, verdict) };
}

/** A desktop of `username` starts a login; `verify(code)` finishes it. */
async function desktopLogin(ts: TestServer, username: string) {
  const desk = await enrolledDesktop(ts, username, PW);
  const sign = { keyId: desk.deviceId, secretKey: desk.keys.signing.secretKey, localAddress: freshIp() };
  const login = await signedCall<{ txn_id: string }>(ts, '/auth/login', {
    ...sign,
    json: loginBody(username, PW, desk.deviceId),
  });
  assert.equal(login.status, 200, login.text);
  return {
    txnId: login.body.txn_id,
    verify: (code: string) =>
      signedCall<{ login_state: string }>(ts, '/auth/verify', {
        ...sign,
        json: { txn_id: login.body.txn_id, otp_code: code },
      }),
  };
}

interface Pending {
  txn_id: string;
  code?: string;
  reveal?: { challenge: string; rp_id: string; credential_id: string; type?: string };
}

/** The bound phone's side of a login: its pending challenge, and a reveal with some proof. */
function boundPhone(ts: TestServer, id: string, keys: Ed25519KeyPair) {
  const signer = { keyId: id, secretKey: keys.secretKey };
  return {
    async pending(): Promise<Pending> {
      const r = await signedCall<Pending>(ts, '/mobile/otp', { ...signer, localAddress: freshIp() });
      assert.equal(r.status, 200, r.text);
      return r.body;
    },
    reveal(txnId: string, proof: object): Promise<HttpReply<{ code?: string; details?: string[] }>> {
      return signedCall(ts, '/mobile/otp/reveal', {
        ...signer,
        json: { txn_id: txnId, ...proof },
        localAddress: freshIp(),
      });
    },
  };
}

function refused(reply: Reply, reason: string) {
  assert.equal(reply.status, 403, reply.text);
  assert.equal(reply.body.code, 'VIW_E_ATTESTATION_INVALID', reply.text);
  assert.deepEqual(reply.body.details, [reason]);
}

async function bindEvents(ts: TestServer) {
  return (await ctxOf(ts).db.auditEvent.findMany())
    .map((e) => JSON.parse(e.event))
    .filter((e) => e.action === 'mobile.bind');
}

describe('native phones bind with App Attest and Play Integrity (production mode)', () => {
  let ts: TestServer;
  let dir: string;
  let apple: AppAttestTestPki;
  let stranger: AppAttestTestPki;
  let play: PlayConsoleKeys;
  let native: Pick<ServerConfig, 'appAttest' | 'playIntegrity'>;
  before(async () => {
    apple = await appAttestTestPki('Test Apple');
    stranger = await appAttestTestPki('Someone Else');
    play = newPlayConsoleKeys();
    dir = mkdtempSync(join(tmpdir(), 'viw-native-'));
    writeFileSync(join(dir, 'apple-root.pem'), apple.rootPem);
    writeFileSync(join(dir, 'play-decryption.key'), `${play.decryptionKey.toString('base64')}\n`, {
      mode: 0o600,
    });
    writeFileSync(join(dir, 'play-verification.key'), play.verificationKeySpki.toString('base64'));
    native = {
      appAttest: { appId: APP_ID, environment: 'production', rootFile: join(dir, 'apple-root.pem') },
      playIntegrity: {
        packageName: PKG,
        certificateDigests: [hex(CERT)],
        decryptionKeyFile: join(dir, 'play-decryption.key'),
        verificationKeyFile: join(dir, 'play-verification.key'),
        maxAgeS: 120,
        requiredDeviceVerdict: 'MEETS_DEVICE_INTEGRITY',
      },
    };
    ts = await startTestServer({ mode: 'production', ...native });
  });
  after(async () => {
    await ts?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bindCode = async (userId: string) =>
    (await issueBindCode(ctxOf(ts).kv, { userId, issuedBy: 'test' })).code;

  it('binds an iPhone with an App Attest attestation over the bind challenge and its key', async () => {
    const user = await createUser(ts, 'ios-user', PW);
    const p = phone(ts, await bindCode(user.id));
    const { evidence, device } = await appAttestEvidence(
      apple,
      bindClientData(await p.options(), p.publicKey),
    );
    const bound = await p.bind('ios', evidence);
    assert.equal(bound.status, 201, bound.text);
    assert.equal(bound.body.attestation_verdict, 'pass');
    assert.equal(bound.body.trust_mode, 'production');

    const row = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({
      where: { fingerprint: phoneFingerprint(p.keys.publicKey) },
    });
    assert.equal(row.attestationType, 'app_attest');
    assert.equal(row.attestationVerdict, 'pass');
    assert.equal(row.attestationFormat, 'apple_app_attest');
    assert.equal(row.appId, APP_ID);
    assert.equal(row.appEnvironment, 'production');
    assert.equal(row.hardwareBacked, true);
    assert.equal(row.userVerified, false);
    assert.equal(row.credentialId, Buffer.from(device.keyId, 'base64').toString('base64url'));
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', device.keys.publicKey));
    assert.equal(row.credentialKey, spki.toString('base64url'));
    assert.equal(row.signCount, 0);
    const rootDer = new X509Certificate(apple.rootPem).raw;
    assert.equal(row.trustRoot, createHash('sha256').update(rootDer).digest('hex'));
    assert.ok(row.attestedAt);

    const ok = (await bindEvents(ts)).find((e) => e.result === 'success' && e.device_id === row.id);
    assert.match(
      String(ok?.error_msg),
      /^bound with App Attest attestation \(app ABCDE12345\.com\.viworks\.phone, production environment, root [0-9a-f]{16}\), verdict pass$/,
    );
  });

  it('binds an Android phone with a Play Integrity verdict whose nonce binds the bind challenge and its key', async () => {
    const user = await createUser(ts, 'android-user', PW);
    const p = phone(ts, await bindCode(user.id));
    const evidence = playEvidence(play, bindClientData(await p.options(), p.publicKey), {
      deviceVerdict: ['MEETS_BASIC_INTEGRITY', 'MEETS_DEVICE_INTEGRITY'],
    });
    const bound = await p.bind('android', evidence);
    assert.equal(bound.status, 201, bound.text);
    assert.equal(bound.body.attestation_verdict, 'pass');
    assert.equal(bound.body.trust_mode, 'production');

    const row = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({
      where: { fingerprint: phoneFingerprint(p.keys.publicKey) },
    });
    assert.equal(row.attestationType, 'play_integrity');
    assert.equal(row.attestationFormat, 'play_integrity');
    assert.equal(row.appId, PKG);
    assert.equal(row.appSigner, CERT.toString('base64url'));
    assert.equal(row.deviceIntegrity, 'MEETS_BASIC_INTEGRITY,MEETS_DEVICE_INTEGRITY');
    assert.equal(row.hardwareBacked, false);
    assert.equal(row.credentialId, null);
    assert.equal(row.trustRoot, createHash('sha256').update(play.verificationKeySpki).digest('hex'));

    const ok = (await bindEvents(ts)).find((e) => e.result === 'success' && e.device_id === row.id);
    assert.match(
      String(ok?.error_msg),
      /^bound with Play Integrity verdict \(package com\.viworks\.phone, MEETS_BASIC_INTEGRITY,MEETS_DEVICE_INTEGRITY, signer .{16}, licensing LICENSED\), verdict pass$/,
    );
  });

  it('an App Attest phone reveals a code with an assertion over the reveal challenge, its counter rising', async () => {
    const user = await createUser(ts, 'ios-reveal', PW);
    const p = phone(ts, await bindCode(user.id));
    const { evidence, device } = await appAttestEvidence(
      apple,
      bindClientData(await p.options(), p.publicKey),
    );
    const bound = await p.bind('ios', evidence);
    const id = (bound.body as { mobile_device_id: string }).mobile_device_id;
    const handset = boundPhone(ts, id, p.keys);
    const login = await desktopLogin(ts, 'ios-reveal');

    const shown = await handset.pending();
    assert.equal(shown.code, undefined, 'no code before the proof');
    assert.deepEqual(
      { ...shown.reveal, challenge: 'c' },
      {
        challenge: 'c',
        rp_id: APP_ID,
        credential_id: Buffer.from(device.keyId, 'base64').toString('base64url'),
        type: 'app_attest',
      },
    );
    const assertion = (challenge: string, counter: number, txnId = login.txnId) => ({
      app_attest_assertion: appAttestAssertion(
        device.keys.privateKey,
        revealClientData(challenge, txnId),
        counter,
        APP_ID,
      ).toString('base64url'),
    });
    // Over another transaction's client data, or by proof of another kind: refused (challenge used up).
    const r1 = await handset.reveal(
      login.txnId,
      assertion(shown.reveal!.challenge, 1, `viw_tx_${'x'.repeat(43)}`),
    );
    assert.equal(r1.status, 403, r1.text);
    assert.deepEqual(r1.body.details, ['assertion signature does not verify']);
    await handset.pending();
    const r2 = await handset.reveal(login.txnId, { integrity_token: 'a.b.c.d.e' });
    assert.deepEqual(r2.body.details, ['this phone reveals with an App Attest assertion']);

    const next = (await handset.pending()).reveal!.challenge;
    const ok = await handset.reveal(login.txnId, assertion(next, 1));
    assert.equal(ok.status, 200, ok.text);
    const row = await ctxOf(ts).db.mobileDevice.findUniqueOrThrow({ where: { id } });
    assert.equal(row.signCount, 1, 'the assertion counter is kept');
    // The same counter again (a replayed or cloned key's assertion) is refused.
    const again = (await handset.pending()).reveal!.challenge;
    const replay = await handset.reveal(login.txnId, assertion(again, 1));
    assert.deepEqual(replay.body.details, ['assertion counter did not increase']);

    const verified = await login.verify(String(ok.body.code));
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.login_state, 'ok');
    const events = (await ctxOf(ts).db.auditEvent.findMany()).map((e) => JSON.parse(e.event));
    assert.ok(
      events.some(
        (e) =>
          e.action === 'mobile.otp_reveal' &&
          e.result === 'success' &&
          e.error_msg === 'code revealed for login after an App Attest assertion',
      ),
    );
  });

  it('a Play Integrity phone reveals a code with a fresh verdict over the reveal challenge; a rooted one is refused', async () => {
    const user = await createUser(ts, 'android-reveal', PW);
    const p = phone(ts, await bindCode(user.id));
    const bound = await p.bind('android', playEvidence(play, bindClientData(await p.options(), p.publicKey)));
    const id = (bound.body as { mobile_device_id: string }).mobile_device_id;
    const handset = boundPhone(ts, id, p.keys);
    const login = await desktopLogin(ts, 'android-reveal');

    const shown = await handset.pending();
    assert.equal(shown.code, undefined, 'no code before the proof');
    assert.deepEqual(
      { ...shown.reveal, challenge: 'c' },
      {
        challenge: 'c',
        rp_id: PKG,
        credential_id: phoneFingerprint(p.keys.publicKey),
        type: 'play_integrity',
      },
    );
    const token = (challenge: string, edit: Partial<VerdictFields> = {}) => ({
      integrity_token: playEvidence(play, revealClientData(challenge, login.txnId), edit).token,
    });
    const rooted = await handset.reveal(
      login.txnId,
      token(shown.reveal!.challenge, { deviceVerdict: ['MEETS_BASIC_INTEGRITY'] }),
    );
    assert.equal(rooted.status, 403, rooted.text);
    assert.deepEqual(rooted.body.details, ['device fails device integrity (rooted)']);
    // A verdict for an earlier challenge (here: the one just refused) is not accepted again.
    const next = (await handset.pending()).reveal!.challenge;
    const stale = await handset.reveal(login.txnId, token(shown.reveal!.challenge));
    assert.deepEqual(stale.body.details, ['verdict nonce does not match the issued nonce']);

    const fresh = (await handset.pending()).reveal!.challenge;
    assert.notEqual(fresh, next);
    const ok = await handset.reveal(login.txnId, token(fresh));
    assert.equal(ok.status, 200, ok.text);
    const verified = await login.verify(String(ok.body.code));
    assert.equal(verified.body.login_state, 'ok');
  });

  it('refuses a wrong nonce, another app or package, failing integrity, a development key, another root, the wrong platform and no challenge — storing nothing, auditing each', async () => {
    const user = await createUser(ts, 'mallory', PW);
    const code = await bindCode(user.id);
    const rows = await ctxOf(ts).db.mobileDevice.count();
    const failuresBefore = (await bindEvents(ts)).filter((e) => e.result !== 'success').length;
    let attempts = 0;
    const attempt = async (
      platform: 'ios' | 'android',
      make: (challenge: string, p: ReturnType<typeof phone>) => Promise<object> | object,
      reason: string,
      ask = true,
    ) => {
      const p = phone(ts, code);
      const challenge = ask ? await p.options() : 'never-issued';
      refused(await p.bind(platform, await make(challenge, p)), reason);
      attempts++;
    };
    const other = phone(ts, code); // another phone key asking with the same bind code
    const otherChallenge = await other.options();

    // App Attest
    await attempt(
      'ios',
      async (_c, p) => (await appAttestEvidence(apple, bindClientData(otherChallenge, p.publicKey))).evidence,
      'attestation nonce does not match',
    );
    await attempt(
      'ios',
      async (c) => (await appAttestEvidence(apple, bindClientData(c, other.publicKey))).evidence,
      'attestation nonce does not match',
    );
    await attempt(
      'ios',
      async (c, p) =>
        (
          await appAttestEvidence(apple, bindClientData(c, p.publicKey), {
            appId: 'ABCDE12345.com.other.app',
          })
        ).evidence,
      'attestation is for another app',
    );
    await attempt(
      'ios',
      async (c, p) =>
        (
          await appAttestEvidence(apple, bindClientData(c, p.publicKey), {
            aaguid: APP_ATTEST_AAGUID.development,
          })
        ).evidence,
      'development App Attest key refused in production',
    );
    await attempt(
      'ios',
      async (c, p) => (await appAttestEvidence(stranger, bindClientData(c, p.publicKey))).evidence,
      'attestation does not chain to the configured root',
    );
    await attempt(
      'android',
      async (c, p) => (await appAttestEvidence(apple, bindClientData(c, p.publicKey))).evidence,
      'app_attest evidence must come from an ios phone',
    );

    // Play Integrity
    const play1 = (edit: Partial<VerdictFields>) => (c: string, p: ReturnType<typeof phone>) =>
      playEvidence(play, bindClientData(c, p.publicKey), edit);
    await attempt(
      'android',
      (_c, p) => playEvidence(play, bindClientData(otherChallenge, p.publicKey)),
      'verdict nonce does not match the issued nonce',
    );
    await attempt(
      'android',
      (c) => playEvidence(play, bindClientData(c, other.publicKey)),
      'verdict nonce does not match the issued nonce',
    );
    await attempt('android', play1({ packageName: 'com.other.app' }), 'verdict is for another package');
    await attempt(
      'android',
      play1({ appRecognition: 'UNRECOGNIZED_VERSION' }),
      'app is not recognised by Google Play',
    );
    await attempt(
      'android',
      play1({ certificateDigest: createHash('sha256').update('re-signed').digest() }),
      'app signing certificate is not a configured one',
    );
    await attempt(
      'android',
      play1({ deviceVerdict: ['MEETS_BASIC_INTEGRITY'] }),
      'device fails device integrity (rooted)',
    );
    await attempt('android', play1({ deviceVerdict: ['MEETS_VIRTUAL_INTEGRITY'] }), 'device is an emulator');
    await attempt('android', play1({ deviceVerdict: [] }), 'device is not recognised');
    await attempt('android', play1({ timestampMs: Date.now() - 10 * 60_000 }), 'verdict is too old');
    await attempt('ios', play1({}), 'play_integrity evidence must come from an android phone');
    await attempt(
      'android',
      play1({}),
      'no challenge for this bind code and key (ask for options first), or it expired',
      false,
    );

    assert.equal(await ctxOf(ts).db.mobileDevice.count(), rows, 'nothing stored');
    const failures = (await bindEvents(ts)).filter((e) => e.result !== 'success');
    assert.equal(failures.length - failuresBefore, attempts, 'each refused bind is audited');
    const mine = failures.slice(failuresBefore);
    assert.ok(mine.every((e) => e.error_code === 'VIW_E_ATTESTATION_INVALID'));
    // Each event names the check that refused the phone (a fixed reason, no evidence).
    const reasons = new Set(mine.map((e) => e.error_msg));
    for (const why of [
      'device is an emulator',
      'device fails device integrity (rooted)',
      'attestation is for another app',
    ])
      assert.ok(reasons.has(`attestation refused: ${why}`), why);
    assert.ok(!ts.logs().includes(play.decryptionKey.toString('base64')), 'the key never reaches a log');

    // The bind code still works, once; a challenge is used up by the bind that took it.
    const good = phone(ts, code);
    const challenge = await good.options();
    const evidence = playEvidence(play, bindClientData(challenge, good.publicKey));
    assert.equal((await good.bind('android', evidence)).status, 201);
    const again = phone(ts, code, good.keys);
    refused(
      await again.bind('android', evidence),
      'no challenge for this bind code and key (ask for options first), or it expired',
    );
  });

  it('a backend configured for neither refuses both formats with a fixed reason, storing nothing, auditing each', async () => {
    const bare = await startTestServer({ mode: 'production' });
    try {
      const user = await createUser(bare, 'nobody', PW);
      const code = (await issueBindCode(ctxOf(bare).kv, { userId: user.id, issuedBy: 'test' })).code;
      const ios = phone(bare, code);
      const iosEvidence = (await appAttestEvidence(apple, bindClientData(await ios.options(), ios.publicKey)))
        .evidence;
      refused(
        await ios.bind('ios', iosEvidence),
        'attestation format app_attest is not accepted by this backend',
      );
      const android = phone(bare, code);
      const androidEvidence = playEvidence(play, bindClientData(await android.options(), android.publicKey));
      refused(
        await android.bind('android', androidEvidence),
        'attestation format play_integrity is not accepted by this backend',
      );
      assert.equal(await ctxOf(bare).db.mobileDevice.count(), 0);
      const failures = (await bindEvents(bare)).filter((e) => e.error_code === 'VIW_E_ATTESTATION_INVALID');
      assert.equal(failures.length, 2);
    } finally {
      await bare.stop();
    }
  });
});
