// The envelope in the TPM device suite (P-256), with software P-256 keys: what the backend seals for
// a TPM device opens with the same key, through the key pair or through a delegated ECDH step (the
// TPM's path); suites never cross.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { b64Decode } from './bytes.js';
import {
  type EnvelopeRecipient,
  openEnvelope,
  p256EcdhRecipient,
  p256Recipient,
  sealEnvelope,
  x25519Recipient,
} from './envelope.js';
import { ENVELOPE_SUITE, ENVELOPE_SUITE_P256, type Envelope, encodeAad } from './envelope-format.js';
import { generateDeviceKeyPair, importPrivateKey, type RecipientKey } from './hpke.js';
import { type EcdhZ, hpkeSuiteP256 } from './hpke-p256.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const EXP = new Date('2030-01-01T00:05:00Z');
const DEVICE = 'd-tpm';
const SESSION = 's-1';
const PLAINTEXT = new TextEncoder().encode('{"bootstrap":"for a TPM device"}');

let p256Pair: CryptoKeyPair;
let p256Public: Uint8Array;
let x25519Public: Uint8Array;
let x25519Key: RecipientKey;

before(async () => {
  p256Pair = await hpkeSuiteP256().kem.generateKeyPair();
  p256Public = new Uint8Array(await crypto.subtle.exportKey('raw', p256Pair.publicKey));
  const x = await generateDeviceKeyPair();
  x25519Public = x.publicKey;
  x25519Key = await importPrivateKey(x.privateKey);
});

const sealP256 = (publicKey: Uint8Array = p256Public) =>
  sealEnvelope({
    recipientPublicKey: publicKey,
    suite: ENVELOPE_SUITE_P256,
    deviceId: DEVICE,
    sessionId: SESSION,
    exp: EXP,
    plaintext: PLAINTEXT,
  });

const open = (env: unknown, recipient: EnvelopeRecipient) =>
  openEnvelope(env, { recipient, expectedDeviceId: DEVICE, expectedSessionId: SESSION, now: NOW });

/** The ECDH step as the TPM does it (x-coordinate of skR·peer), here with the software key. */
const softwareEcdh: EcdhZ = async (peer) => {
  const pub = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(peer),
    { name: 'ECDH', namedCurve: 'P-256' },
    false,
    [],
  );
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, p256Pair.privateKey, 256),
  );
};

describe('envelope: the P-256 suite', () => {
  let env: Envelope;
  before(async () => {
    env = await sealP256();
  });

  it('names its suite and carries a 65-byte uncompressed enc (87 characters)', () => {
    assert.equal(env.suite, 'P256-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305');
    assert.equal(env.enc.length, 87);
    const enc = b64Decode(env.enc);
    assert.equal(enc.length, 65);
    assert.equal(enc[0], 0x04);
  });

  it('opens with the key pair and with a delegated ECDH step (the TPM path), after a JSON round trip', async () => {
    const wire = JSON.parse(JSON.stringify(env));
    assert.deepEqual(await open(wire, p256Recipient(p256Pair)), PLAINTEXT);
    assert.deepEqual(await open(wire, p256EcdhRecipient(p256Public, softwareEcdh)), PLAINTEXT);
  });

  it('binds the suite into the AAD; the X25519 AAD is unchanged', () => {
    const aad = { device_id: DEVICE, session_id: SESSION, exp: '2030-01-01T00:05:00Z' };
    const p256 = Buffer.from(encodeAad(aad, ENVELOPE_SUITE_P256));
    const x25519 = Buffer.from(encodeAad(aad));
    assert.deepEqual(x25519, Buffer.from(encodeAad(aad, ENVELOPE_SUITE)));
    assert.equal(p256.subarray(5, 5 + ENVELOPE_SUITE_P256.length).toString('ascii'), ENVELOPE_SUITE_P256);
    assert.notDeepEqual(p256, x25519);
  });

  it('every single-byte flip of enc fails to open', async () => {
    const enc = b64Decode(env.enc);
    for (let i = 0; i < enc.length; i++) {
      const bad = Buffer.from(enc);
      bad[i] = bad[i]! ^ 0x01;
      const edited = { ...env, enc: bad.toString('base64').replace(/=+$/, '') };
      await assert.rejects(open(edited, p256Recipient(p256Pair)), (e) =>
        isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
      );
    }
  });

  it('another P-256 key fails to open', async () => {
    const other = await hpkeSuiteP256().kem.generateKeyPair();
    await assert.rejects(open(env, p256Recipient(other)), (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'));
  });
});

describe('envelope: suites never cross', () => {
  it('a P-256 envelope is refused by an X25519 device before any crypto, and the reverse', async () => {
    const p = await sealP256();
    const x = await sealEnvelope({
      recipientPublicKey: x25519Public,
      deviceId: DEVICE,
      sessionId: SESSION,
      exp: EXP,
      plaintext: PLAINTEXT,
    });
    assert.equal(x.suite, ENVELOPE_SUITE);
    for (const [e, r] of [
      [p, x25519Recipient(x25519Key)],
      [x, p256Recipient(p256Pair)],
    ] as const) {
      await assert.rejects(open(e, r), (err) => {
        assert.ok(isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'));
        assert.deepEqual(err.details, ["/suite: not this device's suite"]);
        return true;
      });
    }
    // The legacy option (recipientKey) is the X25519 suite.
    await assert.rejects(
      openEnvelope(p, { recipientKey: x25519Key, expectedDeviceId: DEVICE, now: NOW }),
      (err) => isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
    );
  });

  it('relabelling the suite is refused: enc no longer has the suite length', async () => {
    const p = await sealP256();
    await assert.rejects(open({ ...p, suite: ENVELOPE_SUITE }, x25519Recipient(x25519Key)), (e) =>
      isViworksError(e, 'VIW_E_ENVELOPE_INVALID'),
    );
  });

  it('sealing in the P-256 suite refuses an X25519 key, a compressed point and a point off the curve', async () => {
    const off = Uint8Array.from(p256Public);
    off[64] = off[64]! ^ 1;
    const compressed = Uint8Array.from([0x02 + (p256Public[64]! & 1), ...p256Public.subarray(1, 33)]);
    for (const key of [x25519Public, compressed, off]) {
      await assert.rejects(sealP256(key), (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'));
    }
  });

  it('sealing in the X25519 suite refuses a P-256 key', async () => {
    await assert.rejects(
      sealEnvelope({
        recipientPublicKey: p256Public,
        deviceId: DEVICE,
        sessionId: SESSION,
        exp: EXP,
        plaintext: PLAINTEXT,
      }),
      (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
    );
  });
});
