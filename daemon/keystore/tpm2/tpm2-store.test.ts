// The TPM 2.0 key store against a real software TPM (swtpm + tpm2-tools): keys made in the TPM with
// the attributes that keep them there (read back from the TPM itself), ECDSA signatures the backend's
// verifier accepts, the P-256 bootstrap envelope opened through the TPM's ECDH, no private key in
// any file, reloading after lost contexts, no dictionary-attack lockout, deletion.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sealEnvelope } from '../../../core/crypto/envelope.js';
import { ENVELOPE_SUITE_P256 } from '../../../core/crypto/envelope-format.js';
import { deviceFingerprint } from '../../../core/crypto/fingerprints.js';
import { generateDeviceKeyPair } from '../../../core/crypto/hpke.js';
import { readSignatureHeaders, verifyRequestSignature } from '../../../core/crypto/request-signing.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { startSwtpm, swtpmPeers, type TestSwtpm } from '../../../scripts/testkit/swtpm.js';
import { filesUnder, privateKeyIn } from '../../testing/p256-key-search.js';
import type { NewDeviceKeys } from '../keystore.js';
import { ECDH_KEY_ATTRIBUTES, SIGNING_KEY_ATTRIBUTES, TPMA } from './tpm2-public.js';
import { Tpm2KeyStore } from './tpm2-store.js';

const skip = swtpmPeers().skip;

describe('Tpm2KeyStore on a software TPM', { skip }, () => {
  let tpm: TestSwtpm;
  let dir: string;
  let store: Tpm2KeyStore;
  let keys: NewDeviceKeys;

  before(async () => {
    tpm = await startSwtpm();
    dir = mkdtempSync(join(tmpdir(), 'viw-tpm2-store-'));
    store = new Tpm2KeyStore({ dir: join(dir, 'tpm2'), tcti: tpm.tcti });
  });
  after(async () => {
    await tpm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const readpublic = (ctx: string) =>
    execFileSync('/usr/bin/tpm2_readpublic', ['-c', ctx], {
      env: { TPM2TOOLS_TCTI: tpm.tcti },
      encoding: 'utf8',
    });
  const flush = () => {
    for (const f of ['-t', '-l'])
      execFileSync('/usr/bin/tpm2_flushcontext', [f], { env: { TPM2TOOLS_TCTI: tpm.tcti } });
  };

  it('probes the TPM as usable; an unreachable TCTI or a missing device is not', async () => {
    assert.equal(await store.probe(), null);
    const nowhere = new Tpm2KeyStore({ dir: join(dir, 'x'), tcti: 'swtpm:host=127.0.0.1,port=1' });
    assert.match((await nowhere.probe()) ?? '', /tpm2_createprimary failed/);
    const noDevice = new Tpm2KeyStore({ dir: join(dir, 'y'), tcti: 'device:/dev/tpmrm9' });
    assert.equal(await noDevice.probe(), '/dev/tpmrm9 not present');
  });

  it('creates two P-256 key pairs in the TPM: protection tpm2, p256, the fingerprint over both points', async () => {
    keys = await store.create();
    assert.equal(keys.keyType, 'p256');
    assert.equal(store.protection, 'tpm2');
    assert.equal(store.name, 'tpm2');
    for (const p of [keys.hpkePublicKey, keys.signingPublicKey]) {
      assert.equal(p.length, 65);
      assert.equal(p[0], 0x04);
    }
    assert.notDeepEqual(keys.hpkePublicKey, keys.signingPublicKey);
    assert.equal(keys.fingerprint, deviceFingerprint(keys.hpkePublicKey, keys.signingPublicKey));
    assert.equal(statSync(store.dir).mode & 0o777, 0o700);
    for (const f of ['auth', 'hpke.pub', 'hpke.priv', 'sign.pub', 'sign.priv']) {
      assert.equal(statSync(join(store.dir, f)).mode & 0o777, 0o600, f);
    }
    assert.deepEqual(
      readdirSync(store.dir).sort(),
      ['auth', 'hpke.priv', 'hpke.pub', 'sign.priv', 'sign.pub'],
      'nothing else left behind',
    );
  });

  it('the keys cannot leave the TPM: fixedTPM | fixedParent | sensitiveDataOrigin, as the TPM reports them', async () => {
    await store.check(); // loads both keys into the TPM, leaving their saved contexts
    const hpke = await store.publicKey('hpke');
    const sign = await store.publicKey('sign');
    assert.equal(hpke.attributes, ECDH_KEY_ATTRIBUTES);
    assert.equal(sign.attributes, SIGNING_KEY_ATTRIBUTES);
    for (const a of [hpke.attributes, sign.attributes]) {
      for (const bit of [TPMA.fixedTPM, TPMA.fixedParent, TPMA.sensitiveDataOrigin, TPMA.noDA]) {
        assert.ok(a & bit);
      }
      assert.equal(a & TPMA.encryptedDuplication, 0);
    }
    // The TPM's own view of the loaded objects (TPM2_ReadPublic), not our file.
    const fromTpm = readpublic(store.contextPath('sign'));
    flush();
    assert.match(fromTpm, /value: fixedtpm\|fixedparent\|sensitivedataorigin\|userwithauth\|noda\|sign/);
    assert.match(fromTpm, /NIST p256/);
    const fromTpmHpke = readpublic(store.contextPath('hpke'));
    flush();
    assert.match(
      fromTpmHpke,
      /value: fixedtpm\|fixedparent\|sensitivedataorigin\|userwithauth\|noda\|decrypt/,
    );
  });

  it('no file of the store holds either private key (every 32-byte window tried as a P-256 scalar)', () => {
    const files = filesUnder(store.dir);
    assert.ok(files.length >= 7, 'blobs, auth and saved contexts are searched');
    assert.equal(privateKeyIn(files, [keys.hpkePublicKey, keys.signingPublicKey]), null);
    for (const f of files) assert.ok(!readFileSync(f, 'latin1').includes('PRIVATE KEY'), f);
  });

  it('signs requests the backend verifies with ECDSA P-256 (and nothing else)', async () => {
    const body = Buffer.from('{"hello":"tpm"}');
    const headers = await store.sign('d-1234', 'POST', '/auth/login', body);
    const claims = readSignatureHeaders({ ...headers });
    verifyRequestSignature(
      claims,
      keys.signingPublicKey,
      'POST',
      '/auth/login',
      body,
      Date.now(),
      'ecdsa-p256-sha256',
    );
    assert.throws(
      () =>
        verifyRequestSignature(
          claims,
          keys.hpkePublicKey,
          'POST',
          '/auth/login',
          body,
          Date.now(),
          'ecdsa-p256-sha256',
        ),
      (e) => isViworksError(e, 'VIW_E_SIGNATURE_INVALID'),
    );
  });

  it('opens a bootstrap sealed to its P-256 key, the ECDH done by the TPM; refuses other suites and keys', async () => {
    const exp = new Date(Date.now() + 120_000);
    const plaintext = new TextEncoder().encode('{"sealed":"to the TPM"}');
    const env = await sealEnvelope({
      recipientPublicKey: keys.hpkePublicKey,
      suite: ENVELOPE_SUITE_P256,
      deviceId: 'd-1',
      sessionId: 's-1',
      exp,
      plaintext,
    });
    assert.deepEqual(
      await store.openEnvelope(env, { expectedDeviceId: 'd-1', expectedSessionId: 's-1' }),
      plaintext,
    );

    const x25519 = await sealEnvelope({
      recipientPublicKey: (await generateDeviceKeyPair()).publicKey,
      deviceId: 'd-1',
      sessionId: 's-1',
      exp,
      plaintext,
    });
    const toSigningKey = await sealEnvelope({
      recipientPublicKey: keys.signingPublicKey,
      suite: ENVELOPE_SUITE_P256,
      deviceId: 'd-1',
      sessionId: 's-1',
      exp,
      plaintext,
    });
    for (const e of [x25519, toSigningKey]) {
      await assert.rejects(
        store.openEnvelope(e, { expectedDeviceId: 'd-1', expectedSessionId: 's-1' }),
        (err) => isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
      );
    }
  });

  it('reloads from the blobs when a saved context is gone or void (a TPM reset), and in a new process', async () => {
    rmSync(store.contextPath('sign'), { force: true });
    writeFileSync(store.contextPath('hpke'), Buffer.alloc(610, 7));
    const body = Buffer.from('{}');
    const verifyWith = async (s: Tpm2KeyStore) => {
      const claims = readSignatureHeaders({ ...(await s.sign('d-1', 'GET', '/x', body)) });
      verifyRequestSignature(
        claims,
        keys.signingPublicKey,
        'GET',
        '/x',
        body,
        Date.now(),
        'ecdsa-p256-sha256',
      );
    };
    await verifyWith(store);
    const env = await sealEnvelope({
      recipientPublicKey: keys.hpkePublicKey,
      suite: ENVELOPE_SUITE_P256,
      deviceId: 'd-1',
      sessionId: 's-2',
      exp: new Date(Date.now() + 60_000),
      plaintext: Buffer.from('again'),
    });
    assert.equal(
      Buffer.from(
        await store.openEnvelope(env, { expectedDeviceId: 'd-1', expectedSessionId: 's-2' }),
      ).toString(),
      'again',
    );
    await verifyWith(new Tpm2KeyStore({ dir: store.dir, tcti: tpm.tcti }));
  });

  it('a wrong auth value fails as VIW_E_KEYSTORE and never locks the TPM out (noDA)', async () => {
    const auth = readFileSync(join(store.dir, 'auth'));
    writeFileSync(join(store.dir, 'auth'), Buffer.alloc(32, 1), { mode: 0o600 });
    for (let i = 0; i < 5; i++) {
      await assert.rejects(store.sign('d-1', 'GET', '/x', Buffer.alloc(0)), (e) => {
        assert.ok(isViworksError(e, 'VIW_E_KEYSTORE'));
        assert.match(e.details.join(' '), /tpm2_sign failed \(exit \d.*rc 0x9a2 .*authorization failure/);
        return true;
      });
    }
    writeFileSync(join(store.dir, 'auth'), auth, { mode: 0o600 });
    const claims = readSignatureHeaders({ ...(await store.sign('d-1', 'GET', '/x', Buffer.alloc(0))) });
    verifyRequestSignature(
      claims,
      keys.signingPublicKey,
      'GET',
      '/x',
      Buffer.alloc(0),
      Date.now(),
      'ecdsa-p256-sha256',
    );
  });

  it('a re-creation replaces both keys; delete removes everything and check then fails', async () => {
    const again = await store.create();
    assert.notEqual(again.fingerprint, keys.fingerprint);
    await store.check();
    await store.delete();
    assert.deepEqual(readdirSync(store.dir), []);
    await assert.rejects(store.check(), (e) => isViworksError(e, 'VIW_E_KEYSTORE'));
    await assert.rejects(store.sign('d-1', 'GET', '/x', Buffer.alloc(0)), (e) =>
      isViworksError(e, 'VIW_E_KEYSTORE'),
    );
  });
});
