// The attestation policy as read from configuration: nothing native without settings; App Attest and
// Play Integrity built from their files (keys in the Play Console's forms: base64 text, or PEM for
// the verification key; digests in the console's hex form or base64); every file buffer that held
// the decryption key zeroed after loading; a bad file stops the start with VIW_E_CONFIG naming the
// setting and never the key; base64 is decoded strictly from bytes.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../../config.js';
import { newAuthenticatorModel } from '../../../pki/attestation-ca.js';
import { type AppAttestTestPki, appAttestTestPki } from '../../../testing/app-attest-device.js';
import {
  classicVerdict,
  integrityToken,
  newPlayConsoleKeys,
  type PlayConsoleKeys,
} from '../../../testing/play-integrity-tokens.js';
import { type AttestationSettings, decodeBase64Bytes, loadAttestationPolicy } from './load.js';

const CERT = createHash('sha256').update('release signing certificate').digest();
const PKG = 'com.viworks.phone';
const base: AttestationSettings = {
  attestationRoots: {},
  appAttest: null,
  playIntegrity: null,
  publicNames: ['vpn.example.org'],
  phoneOrigin: null,
  listenPort: 8443,
};
const play: NonNullable<ServerConfig['playIntegrity']> = {
  packageName: PKG,
  certificateDigests: [
    createHash('sha256').update('old signer').digest('hex'),
    [...CERT].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'),
  ],
  decryptionKeyFile: '/keys/play-decryption.txt',
  verificationKeyFile: '/keys/play-verification.txt',
  maxAgeS: 120,
  requiredDeviceVerdict: 'MEETS_DEVICE_INTEGRITY',
};

/** A file system of buffers; `handed` keeps the buffers `read` returned, by path, to check wiping. */
function files(contents: Record<string, string | Buffer>) {
  const handed = new Map<string, Buffer>();
  const read = (path: string) => {
    const c = contents[path];
    if (c === undefined) throw new Error(`ENOENT ${path}`);
    const b = Buffer.from(c);
    handed.set(path, b);
    return b;
  };
  return { read, handed };
}

const configError = (setting: RegExp, secret?: string) => (e: unknown) =>
  isViworksError(e, 'VIW_E_CONFIG') &&
  setting.test(e.details.join(' ')) &&
  (secret === undefined || !e.details.join(' ').includes(secret));

describe('attestation policy from configuration', () => {
  let pki: AppAttestTestPki;
  let keys: PlayConsoleKeys;
  before(async () => {
    pki = await appAttestTestPki('Loader Test');
    keys = newPlayConsoleKeys();
  });

  it('accepts nothing native by default; the origin follows the port', () => {
    const policy = loadAttestationPolicy(base, files({}).read);
    assert.deepEqual(policy(8443), {
      rpId: 'vpn.example.org',
      origin: 'https://vpn.example.org:8443',
      roots: {},
    });
    assert.equal(policy(443).origin, 'https://vpn.example.org');
  });

  it('builds App Attest and Play Integrity from their files and wipes the decryption key buffers', () => {
    const fs = files({
      '/keys/apple.pem': pki.rootPem,
      [play.decryptionKeyFile]: `${keys.decryptionKey.toString('base64')}\n`,
      [play.verificationKeyFile]: keys.verificationKeySpki.toString('base64'),
    });
    const policy = loadAttestationPolicy(
      {
        ...base,
        appAttest: {
          appId: 'ABCDE12345.com.viworks.phone',
          environment: 'production',
          rootFile: '/keys/apple.pem',
        },
        playIntegrity: play,
      },
      fs.read,
    )(8443);
    assert.equal(policy.appAttest?.config.appId, 'ABCDE12345.com.viworks.phone');
    assert.match(String(policy.appAttest?.rootFingerprint), /^[0-9a-f]{64}$/);
    assert.equal(
      policy.playIntegrity?.keyFingerprint,
      createHash('sha256').update(keys.verificationKeySpki).digest('hex'),
    );
    const keyFile = fs.handed.get(play.decryptionKeyFile);
    assert.ok(
      keyFile?.length === 45 && keyFile.every((x) => x === 0),
      'the file buffer holding the key is zeroed',
    );
    // The verifier works from its own copy, with the hex digest normalized to Play's form.
    const nonce = randomBytes(32).toString('base64url');
    const now = Date.now();
    const t = integrityToken(
      keys,
      classicVerdict({ packageName: PKG, nonce, timestampMs: now - 1000, certificateDigest: CERT }),
    );
    assert.equal(policy.playIntegrity?.verify(t, nonce, now).packageName, PKG);
  });

  it('takes the verification key as a PEM public key too', () => {
    const pem = createPublicKey({ key: keys.verificationKeySpki, format: 'der', type: 'spki' }).export({
      type: 'spki',
      format: 'pem',
    });
    const fs = files({
      [play.decryptionKeyFile]: keys.decryptionKey.toString('base64url'),
      [play.verificationKeyFile]: pem,
    });
    assert.ok(loadAttestationPolicy({ ...base, playIntegrity: play }, fs.read)(1).playIntegrity);
  });

  it('stops the start on a missing or malformed file, naming the setting and never the key', async () => {
    const good = {
      [play.decryptionKeyFile]: keys.decryptionKey.toString('base64'),
      [play.verificationKeyFile]: keys.verificationKeySpki.toString('base64'),
    };
    const withPlay = (contents: Record<string, string | Buffer>) => () =>
      loadAttestationPolicy({ ...base, playIntegrity: play }, files(contents).read);
    const secret = keys.decryptionKey.toString('base64');
    assert.throws(withPlay({}), configError(/playIntegrity\.verificationKeyFile: cannot read/));
    assert.throws(
      withPlay({ ...good, [play.decryptionKeyFile]: randomBytes(16).toString('base64') }),
      configError(/playIntegrity\.decryptionKeyFile: .* base64 AES-256 key/),
    );
    assert.throws(
      withPlay({ ...good, [play.decryptionKeyFile]: `${secret.slice(0, 10)}!${secret.slice(11)}` }),
      configError(/playIntegrity\.decryptionKeyFile/, secret.slice(0, 10)),
    );
    assert.throws(
      withPlay({ ...good, [play.verificationKeyFile]: keys.decryptionKey.toString('base64') }),
      configError(/playIntegrity\.verificationKey/, secret),
    );
    const withApple = (pem: string) => () =>
      loadAttestationPolicy(
        { ...base, appAttest: { appId: 'ABCDE12345.com.x', environment: 'production', rootFile: '/a.pem' } },
        files({ '/a.pem': pem }).read,
      );
    assert.throws(withApple('no certificate'), configError(/appAttest\.rootFile/));
    assert.throws(withApple(pki.rootPem + pki.rootPem), configError(/appAttest\.rootFile: .* exactly one/));
    const leaf = await newAuthenticatorModel('Leaf', new Uint8Array(16), 1);
    const leafPem = new X509Certificate(leaf.certDer).toString();
    assert.throws(withApple(leafPem), configError(/appAttest\.rootFile: .* not a CA/));
  });

  it('decodes base64 strictly from bytes: both alphabets, padding optional, canonical only', () => {
    const bytes = randomBytes(32);
    for (const text of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
      ` ${bytes.toString('base64')}\r\n`,
    ]) {
      assert.deepEqual(decodeBase64Bytes(Buffer.from(text)), bytes, text);
    }
    for (const text of ['', 'A', 'AB=C', 'AB==', 'QUJD=', 'QUI=\n=', 'QU I=', 'QR==']) {
      assert.equal(decodeBase64Bytes(Buffer.from(text)), null, JSON.stringify(text));
    }
    assert.deepEqual(decodeBase64Bytes(Buffer.from('QUI=')), Buffer.from('AB'));
    assert.deepEqual(decodeBase64Bytes(Buffer.from('QUI')), Buffer.from('AB'));
  });
});
