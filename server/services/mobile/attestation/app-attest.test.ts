// The App Attest verifier against Apple's published example (production) and a device's
// development attestation and assertion, replayed at fixed past times; and against vectors built
// here under a test root: a good attestation is accepted with its verdict, and each check refuses on
// its own (nonce, key id, app id, environment, root, validity, counter, credential id, CBOR shape).
// Assertions: accepted with the counter advanced; replay, another key, changed client data or app
// id refused. 10⁴ mutated attestation objects are never accepted and only ever refused with
// VIW_E_ATTESTATION_INVALID.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { generateEcKeyPair } from '../../../pki/keys.js';
import {
  APP_ATTEST_AAGUID,
  type AppAttestTestPki,
  type AttestationBuild,
  appAttestAssertion,
  appAttestTestPki,
  attestKey,
} from '../../../testing/app-attest-device.js';
import { seededInts } from '../../../testing/seeded-random.js';
import { type AppAttestConfig, verifyAppAttestAttestation } from './app-attest.js';
import { APPLE_APP_ATTEST_ROOT_PEM, APPLE_GUIDE, DEVICE_SAMPLE } from './app-attest.vectors.js';
import { verifyAppAttestAssertion } from './app-attest-assertion.js';

const APP_ID = 'ABCDE12345.com.viworks.phone';
const DAY_MS = 86_400_000;
const AAGUID = APP_ATTEST_AAGUID;

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const b64 = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'base64');
const cbor = (value: unknown) => Buffer.from(isoCBOR.encode(value as Parameters<typeof isoCBOR.encode>[0]));
const refused = (reason: RegExp) => (e: unknown) =>
  isViworksError(e, 'VIW_E_ATTESTATION_INVALID') && reason.test(e.details.join(' '));

const testPki = appAttestTestPki;
type TestPki = AppAttestTestPki;
const attest = (pki: TestPki, b: Omit<AttestationBuild, 'appId'> & { appId?: string }) =>
  attestKey(pki, { appId: APP_ID, ...b });
const assertWith = (privateKey: CryptoKey, clientData: Buffer, counter: number, appId = APP_ID) =>
  appAttestAssertion(privateKey, clientData, counter, appId);

describe('App Attest: published examples', () => {
  const apple = {
    config: { rootPem: APPLE_APP_ATTEST_ROOT_PEM, appId: APPLE_GUIDE.appId, environment: 'production' },
    input: {
      keyId: APPLE_GUIDE.keyId,
      attestationObject: b64(APPLE_GUIDE.attestationObject),
      clientDataHash: Buffer.from(APPLE_GUIDE.clientDataHash),
    },
  } as const;
  const device = {
    config: { rootPem: APPLE_APP_ATTEST_ROOT_PEM, appId: DEVICE_SAMPLE.appId, environment: 'development' },
    input: {
      keyId: DEVICE_SAMPLE.keyId,
      attestationObject: b64(DEVICE_SAMPLE.attestationObject),
      clientDataHash: sha256(Buffer.from(DEVICE_SAMPLE.challengeHex, 'hex')),
    },
  } as const;

  it("accepts Apple's guide example (production) while its certificate was valid, with its verdict", () => {
    const v = verifyAppAttestAttestation(apple.config, apple.input, APPLE_GUIDE.at);
    assert.equal(v.format, 'apple_app_attest');
    assert.equal(v.keyId, APPLE_GUIDE.keyId);
    assert.equal(v.environment, 'production');
    assert.equal(v.counter, 0);
    assert.equal(v.publicKey.length, 91); // P-256 SPKI; its last 65 bytes are the point
    assert.equal(sha256(v.publicKey.subarray(26)).toString('base64'), APPLE_GUIDE.keyId);
    assert.ok(v.receipt.length > 1000 && v.receipt[0] === 0x30); // a PKCS #7 container
  });

  it("refuses Apple's example after its certificate expired, for another challenge, app or root", async () => {
    const after = new Date('2026-05-01T00:00:00Z');
    assert.throws(
      () => verifyAppAttestAttestation(apple.config, apple.input, after),
      refused(/not valid at/),
    );
    const other = { ...apple.input, clientDataHash: Buffer.from('example_server_challengf') };
    assert.throws(() => verifyAppAttestAttestation(apple.config, other, APPLE_GUIDE.at), refused(/nonce/));
    const otherApp = { ...apple.config, appId: '1234567890.com.example.other' };
    assert.throws(
      () => verifyAppAttestAttestation(otherApp, apple.input, APPLE_GUIDE.at),
      refused(/another app/),
    );
    const { rootPem } = await testPki('Not Apple');
    assert.throws(
      () => verifyAppAttestAttestation({ ...apple.config, rootPem }, apple.input, APPLE_GUIDE.at),
      refused(/configured root/),
    );
  });

  it("accepts a device's development key only when the backend is configured for development", () => {
    const v = verifyAppAttestAttestation(device.config, device.input, DEVICE_SAMPLE.at);
    assert.equal(v.environment, 'development');
    const production = { ...device.config, environment: 'production' } as const;
    assert.throws(
      () => verifyAppAttestAttestation(production, device.input, DEVICE_SAMPLE.at),
      refused(/development App Attest key refused in production/),
    );
  });

  it("verifies the device's assertion with the attested key, and refuses it replayed", () => {
    const { publicKey } = verifyAppAttestAttestation(device.config, device.input, DEVICE_SAMPLE.at);
    const input = {
      assertion: b64(DEVICE_SAMPLE.assertion),
      clientData: Buffer.from(DEVICE_SAMPLE.assertionClientData),
      publicKey,
      storedCounter: 0,
    };
    assert.deepEqual(verifyAppAttestAssertion(device.config, input), { counter: 1 });
    assert.throws(
      () => verifyAppAttestAssertion(device.config, { ...input, storedCounter: 1 }),
      refused(/counter did not increase/),
    );
  });
});

describe('App Attest: vectors under a test root', () => {
  let pki: TestPki;
  let config: AppAttestConfig;
  const challengeHash = sha256(Buffer.from('challenge the backend issued'));
  before(async () => {
    pki = await testPki('Test');
    config = { rootPem: pki.rootPem, appId: APP_ID, environment: 'production' };
  });
  const verify = (c: AppAttestConfig, a: { attestationObject: Uint8Array; keyId: string }, now?: Date) =>
    verifyAppAttestAttestation(c, { ...a, clientDataHash: challengeHash }, now);

  it('accepts a good attestation, with the key, counter 0, environment and receipt', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    const v = verify(config, a);
    assert.equal(v.keyId, a.keyId);
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', a.keys.publicKey));
    assert.deepEqual(Buffer.from(v.publicKey), spki);
    assert.equal(v.counter, 0);
    assert.equal(v.environment, 'production');
    assert.deepEqual(Buffer.from(v.receipt), a.receipt);
  });

  it('refuses another challenge, key id or app id', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    assert.throws(
      () => verifyAppAttestAttestation(config, { ...a, clientDataHash: sha256(Buffer.from('other')) }),
      refused(/nonce does not match/),
    );
    const keyId = randomBytes(32).toString('base64');
    assert.throws(() => verify(config, { ...a, keyId }), refused(/does not match the key id/));
    assert.throws(() => verify(config, { ...a, keyId: 'not a key id' }), refused(/key id is not/));
    const other = { ...config, appId: 'ABCDE12345.com.viworks.other' };
    assert.throws(() => verify(other, a), refused(/another app/));
  });

  it('refuses a development key in production and accepts it in development', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash, aaguid: AAGUID.development });
    assert.throws(() => verify(config, a), refused(/development App Attest key refused in production/));
    assert.equal(verify({ ...config, environment: 'development' }, a).environment, 'development');
    const unknown = await attest(pki, { clientDataHash: challengeHash, aaguid: Buffer.alloc(16) });
    assert.throws(() => verify(config, unknown), refused(/environment is unknown/));
  });

  it('refuses an untrusted root and an expired certificate', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    const stranger = await testPki('Stranger');
    assert.throws(() => verify({ ...config, rootPem: stranger.rootPem }, a), refused(/configured root/));
    const later = new Date(Date.now() + 10 * DAY_MS);
    assert.throws(() => verify(config, a, later), refused(/not valid at this time/));
    // Only the configured root is trusted: a chain ending at another root is refused as well.
    const theirs = await attest(stranger, { clientDataHash: challengeHash });
    assert.throws(() => verify(config, theirs), refused(/configured root/));
  });

  it('refuses a non-zero counter and a credential id other than the key id', async () => {
    const counted = await attest(pki, { clientDataHash: challengeHash, counter: 1 });
    assert.throws(() => verify(config, counted), refused(/counter is not zero/));
    const otherId = await attest(pki, { clientDataHash: challengeHash, credentialId: randomBytes(32) });
    assert.throws(() => verify(config, otherId), refused(/credential id does not match/));
  });

  it('refuses malformed, oversized and non-canonical CBOR and other shapes', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    const bad = (attestationObject: Uint8Array, reason: RegExp) =>
      assert.throws(() => verify(config, { ...a, attestationObject }), refused(reason));
    bad(Buffer.from('junk attestation'), /not valid CBOR|not canonical|expected fields/);
    bad(new Uint8Array(0), /missing/);
    bad(randomBytes(16 * 1024 + 1), /too large/);
    bad(Buffer.concat([a.attestationObject, Buffer.from([0])]), /not canonical CBOR/);
    // Cut short, the last byte string (authData) declares more bytes than follow: the decoder
    // returns what there is, and only the re-encoding shows it.
    bad(a.attestationObject.subarray(0, a.attestationObject.length - 1), /not canonical CBOR/);
    // The text key `fmt` with its length in a needlessly long form (0x78 0x03, not 0x63).
    const i = a.attestationObject.indexOf(Buffer.from([0x63, 0x66, 0x6d, 0x74]));
    const long = Buffer.concat([
      a.attestationObject.subarray(0, i),
      Buffer.from([0x78, 0x03]),
      a.attestationObject.subarray(i + 1),
    ]);
    bad(long, /not valid CBOR/);
    const top = isoCBOR.decodeFirst<Map<string, unknown>>(a.attestationObject);
    bad(cbor(new Map([...top, ['fmt', 'packed']])), /not apple-appattest/);
    bad(cbor(new Map([...top, ['extra', 1]])), /expected fields/);
    const stmt = top.get('attStmt') as Map<string, unknown>;
    const oneCert = new Map([...stmt, ['x5c', (stmt.get('x5c') as Uint8Array[]).slice(0, 1)]]);
    bad(cbor(new Map([...top, ['attStmt', oneCert]])), /credential, intermediate/);
    bad(cbor(new Map([...top, ['authData', randomBytes(60)]])), /authData is too short/);
  });

  it("keeps the receipt as sent: Apple's procedure does not bind it (the fraud-metric step must check it)", async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    const top = isoCBOR.decodeFirst<Map<string, unknown>>(a.attestationObject);
    const stmt = top.get('attStmt') as Map<string, unknown>;
    const receipt = randomBytes(64);
    const changed = cbor(new Map([...top, ['attStmt', new Map([...stmt, ['receipt', receipt]])]]));
    assert.deepEqual(Buffer.from(verify(config, { ...a, attestationObject: changed }).receipt), receipt);
  });

  describe('assertions', () => {
    it('accepts one signed by the attested key and advances the counter; refuses a replay', async () => {
      const a = await attest(pki, { clientDataHash: challengeHash });
      const { publicKey } = verify(config, a);
      const clientData = Buffer.from('{"challenge":"c1","action":"approve-login"}');
      const first = { assertion: assertWith(a.keys.privateKey, clientData, 1), clientData, publicKey };
      assert.deepEqual(verifyAppAttestAssertion(config, { ...first, storedCounter: 0 }), { counter: 1 });
      assert.throws(
        () => verifyAppAttestAssertion(config, { ...first, storedCounter: 1 }),
        refused(/counter did not increase/),
      );
      const next = { assertion: assertWith(a.keys.privateKey, clientData, 7), clientData, publicKey };
      assert.deepEqual(verifyAppAttestAssertion(config, { ...next, storedCounter: 1 }), { counter: 7 });
    });

    it('refuses another key, changed client data, another app and a malformed assertion', async () => {
      const a = await attest(pki, { clientDataHash: challengeHash });
      const { publicKey } = verify(config, a);
      const clientData = Buffer.from('{"challenge":"c2"}');
      const input = { assertion: assertWith(a.keys.privateKey, clientData, 1), clientData, publicKey };
      const stranger = await generateEcKeyPair();
      const strangerKey = new Uint8Array(await crypto.subtle.exportKey('spki', stranger.publicKey));
      const no = (changes: Partial<typeof input>, reason: RegExp, appId = APP_ID) =>
        assert.throws(
          () => verifyAppAttestAssertion({ appId }, { ...input, ...changes, storedCounter: 0 }),
          refused(reason),
        );
      no({ publicKey: strangerKey }, /signature does not verify/);
      no({ clientData: Buffer.from('{"challenge":"c3"}') }, /signature does not verify/);
      no({ assertion: assertWith(a.keys.privateKey, clientData, 1, 'ABCDE12345.x') }, /another app/);
      no({}, /another app/, 'ABCDE12345.com.viworks.other');
      no({ assertion: Buffer.concat([input.assertion, Buffer.from([0])]) }, /not canonical/);
      no({ assertion: randomBytes(2048) }, /too large/);
      no({ publicKey: randomBytes(91) }, /not a public key/);
    });
  });

  it('never accepts 10⁴ mutated attestation objects and only refuses them as invalid', async () => {
    const a = await attest(pki, { clientDataHash: challengeHash });
    const original = Buffer.from(a.attestationObject);
    // The receipt's bytes are left alone: nothing in an attestation binds them (see above).
    const r = original.indexOf(a.receipt);
    const inReceipt = (at: number) => at >= r && at < r + a.receipt.length;
    const rand = seededInts(0x2545f491);
    const at = () => {
      for (;;) {
        const i = rand(original.length);
        if (!inReceipt(i)) return i;
      }
    };
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const m = Buffer.from(original);
      const kind = rand(4);
      let mutated: Buffer = m;
      if (kind === 0) {
        for (let k = 0; k <= rand(3); k++) {
          const p = at();
          m[p] = (m[p] ?? 0) ^ (1 << rand(8));
        }
      } else if (kind === 1) mutated = m.subarray(0, rand(m.length));
      else if (kind === 2) mutated = Buffer.concat([m, randomBytes(1 + rand(16))]);
      else m[at()] = rand(256);
      try {
        verify(config, { ...a, attestationObject: mutated });
        if (!mutated.equals(original)) assert.fail(`mutation ${i} (kind ${kind}) was accepted`);
      } catch (err) {
        if (!isViworksError(err, 'VIW_E_ATTESTATION_INVALID')) throw err;
        const reason = err.details[0] ?? '';
        outcomes.set(reason, (outcomes.get(reason) ?? 0) + 1);
      }
    }
    // Past the CBOR checks too: into the certificates, the chain and the nonce that binds authData.
    const reached = [...outcomes.keys()].join('; ');
    for (const check of [/canonical CBOR/, /X\.509/, /configured root/, /nonce does not match/])
      assert.match(reached, check);
  });
});
