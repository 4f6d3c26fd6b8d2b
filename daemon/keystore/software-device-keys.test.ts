// The software device keys on a real encrypted-file store: the keys it makes are the keys it uses
// (its public keys match what the stored private keys give), its request signatures are
// byte-identical to the former tweetnacl signer's, and every secret buffer in play — those the
// store hands out, those given to it, the PKCS#8 encodings — is a secret buffer (own ArrayBuffer,
// off the JS heap, through the page locker) and is zero once the operation returns.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { sealEnvelope } from '../../core/crypto/envelope.js';
import { deviceFingerprint } from '../../core/crypto/fingerprints.js';
import { importPrivateKey } from '../../core/crypto/hpke.js';
import { readSignatureHeaders, verifyRequestSignature } from '../../core/crypto/request-signing.js';
import { SIG_HEADERS, signingText } from '../../core/crypto/signing-text.js';
import { FileKeyStore } from './file-store.js';
import { DEVICE_HPKE_KEY, DEVICE_SIGNING_KEY } from './keystore.js';
import { SecretStoreDeviceKeys } from './software-device-keys.js';
import {
  allZero,
  isSecretBuffer,
  RecordingSecretStore,
  recordSecretBuffers,
} from './testing/secret-buffers.js';

describe('SecretStoreDeviceKeys on the encrypted-file store', () => {
  let dir: string;
  let files: FileKeyStore;
  let recorder: ReturnType<typeof recordSecretBuffers> | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-soft-keys-'));
    writeFileSync(join(dir, 'machine-id'), `${'c3'.repeat(16)}\n`);
    files = new FileKeyStore({ dir: join(dir, 'keys'), machineIdPaths: [join(dir, 'machine-id')] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => recorder?.stop());

  /** A stored private key, read straight from the store (the test wipes it). */
  async function stored(name: string): Promise<Buffer> {
    const key = await files.get(name);
    assert.ok(key);
    return Buffer.from(key);
  }

  it('creates key pairs whose public halves are those of the stored private keys', async () => {
    const made = await new SecretStoreDeviceKeys(files).create();
    const seed = await stored(DEVICE_SIGNING_KEY);
    assert.deepEqual(made.signingPublicKey, nacl.sign.keyPair.fromSeed(seed).publicKey);
    const hpke = await importPrivateKey(await stored(DEVICE_HPKE_KEY));
    assert.deepEqual(
      made.hpkePublicKey,
      new Uint8Array(await crypto.subtle.exportKey('raw', hpke.publicKey)),
    );
    assert.equal(made.fingerprint, deviceFingerprint(made.hpkePublicKey, made.signingPublicKey));
    assert.equal(made.keyType, 'x25519_ed25519');
    seed.fill(0);
  });

  it('signs requests exactly as the tweetnacl signer did, and the backend verifier accepts them', async () => {
    const made = await new SecretStoreDeviceKeys(files).create();
    const pair = nacl.sign.keyPair.fromSeed(await stored(DEVICE_SIGNING_KEY));
    const body = Buffer.from('{"event":"spa_sent"}');
    const headers = await new SecretStoreDeviceKeys(files).sign('d-1', 'POST', '/device/events', body);
    const text = signingText(
      'POST',
      '/device/events',
      headers[SIG_HEADERS.timestamp],
      headers[SIG_HEADERS.nonce],
      createHash('sha256').update(body).digest('hex'),
    );
    assert.equal(
      headers[SIG_HEADERS.signature],
      Buffer.from(nacl.sign.detached(text, pair.secretKey)).toString('base64'),
    );
    verifyRequestSignature(
      readSignatureHeaders({ ...headers }),
      made.signingPublicKey,
      'POST',
      '/device/events',
      body,
    );
    pair.secretKey.fill(0);
  });

  it('hands out and takes only secret buffers, and every one is zero when create, check, sign and open return', async () => {
    recorder = recordSecretBuffers();
    const store = new RecordingSecretStore(files);
    const keys = new SecretStoreDeviceKeys(store);
    const made = await keys.create();
    assert.equal(store.given.length, 2);
    await keys.check();
    await keys.sign('d-1', 'GET', '/device/status', new Uint8Array());
    const plaintext = Buffer.from('{"bootstrap":"secret material"}');
    const envelope = await sealEnvelope({
      recipientPublicKey: made.hpkePublicKey,
      deviceId: 'dev_1',
      sessionId: 'sess-1',
      exp: new Date(Date.now() + 120_000),
      plaintext,
    });
    const opened = await keys.openEnvelope(envelope, {
      expectedDeviceId: 'dev_1',
      expectedSessionId: 'sess-1',
    });
    assert.deepEqual(Buffer.from(opened), plaintext);
    assert.equal(store.handedOut.length, 4, 'check (2), sign, open');
    for (const [i, buf] of [...store.given, ...store.handedOut].entries()) {
      assert.equal(buf.byteLength, 32, `#${i}`);
      assert.ok(isSecretBuffer(recorder.made, buf), `#${i} is a secret buffer`);
      assert.ok(allZero(buf), `#${i} is wiped`);
    }
    // Everything else made as a secret buffer on the way (PKCS#8 encodings, the opener's own) is
    // wiped too; the plaintext is the caller's, the one left.
    const others = [...recorder.made].filter((b) => b.buffer !== opened.buffer);
    for (const buf of others) assert.ok(allZero(buf), `a ${buf.byteLength}-byte secret buffer left unwiped`);
  });

  it('a key of the wrong length is refused and wiped', async () => {
    await files.put(DEVICE_SIGNING_KEY, Buffer.alloc(64, 7));
    const store = new RecordingSecretStore(files);
    await assert.rejects(new SecretStoreDeviceKeys(store).sign('d-1', 'GET', '/x', new Uint8Array()), {
      code: 'VIW_E_KEYSTORE',
    });
    assert.equal(store.handedOut.length, 1);
    assert.ok(allZero(store.handedOut[0]!));
  });
});
