// The open path's key schedule against RFC 9180's intermediate values, and its promise: once an open
// returns or throws, every buffer that held a secret on the way (DH output, KEM shared secret, key
// schedule secret, AEAD key, base nonce, HMAC blocks) is zero. The observer sees each buffer while
// it holds its value, so these tests also prove the buffers checked are the ones that held the keys.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError, ViworksError } from '../errors/viworks-error.js';
import { hexDecode } from './bytes.js';
import { HPKE_KEM_ID, hpkeOpen, importPrivateKey } from './hpke.js';
import { RFC9180_A2, RFC9180_A2_BASE_SCHEDULE } from './hpke.vectors.js';
import { dhkemSharedSecret, keyScheduleBase } from './hpke-open.js';
import { type EcdhZ, HPKE_P256_KEM_ID, hpkeOpenP256, hpkeOpenWithEcdh, hpkeSuiteP256 } from './hpke-p256.js';
import { RFC9180_A5_BASE } from './hpke-p256.vectors.js';
import { SecretScope } from './secret-scope.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** Every buffer the open kept, with its value at the moment it was kept. */
function recorder() {
  const kept: Array<{ name: string; bytes: Uint8Array; value: string }> = [];
  return {
    kept,
    observe: (name: string, bytes: Uint8Array) => kept.push({ name, bytes, value: hex(bytes) }),
    valueOf: (name: string) => kept.find((k) => k.name === name)?.value,
    assertAllWiped() {
      assert.ok(kept.length > 0, 'the open kept its secrets in the scope');
      const left = kept.filter((k) => !isZero(k.bytes)).map((k) => k.name);
      assert.deepEqual(left, [], 'buffers still holding their secret after the open');
    },
  };
}

const A2 = RFC9180_A2[0]!;
const A2_E0 = A2.encryptions[0]!;
const A5 = RFC9180_A5_BASE;
const A5_E0 = A5.encryptions[0]!;

async function a5Ecdh(returned: Uint8Array[] = []): Promise<EcdhZ> {
  const pair = await hpkeSuiteP256().kem.deriveKeyPair(hexDecode(A5.ikmR));
  return async (peer) => {
    const pub = await crypto.subtle.importKey('raw', new Uint8Array(peer), P256, false, []);
    const z = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, pair.privateKey, 256),
    );
    returned.push(z);
    return z;
  };
}

describe('the open key schedule against RFC 9180', () => {
  it('A.2 (X25519) base: shared_secret, key_schedule_context, secret, key, base_nonce', async () => {
    const skR = await importPrivateKey(hexDecode(A2.skRm));
    const pkE = await crypto.subtle.importKey('raw', hexDecode(A2.enc), { name: 'X25519' }, false, []);
    const dh = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'X25519', public: pkE }, skR.privateKey, 256),
    );
    const r = recorder();
    const scope = new SecretScope(r.observe);
    const ss = dhkemSharedSecret(scope, HPKE_KEM_ID, dh, hexDecode(A2.enc), hexDecode(A2.pkRm));
    const { key, baseNonce } = keyScheduleBase(scope, HPKE_KEM_ID, ss, hexDecode(A2.info));
    const s = RFC9180_A2_BASE_SCHEDULE;
    assert.equal(hex(ss), s.shared_secret);
    assert.equal(`00${r.valueOf('psk_id_hash')}${r.valueOf('info_hash')}`, s.key_schedule_context);
    assert.equal(r.valueOf('secret'), s.secret);
    assert.equal(hex(key), s.key);
    assert.equal(hex(baseNonce), s.base_nonce);
    assert.equal(s.base_nonce, A2.base_nonce);
    scope.wipe();
    r.assertAllWiped();
  });

  it('A.5 (P-256) base: shared_secret, key, base_nonce', async () => {
    const dh = await (await a5Ecdh())(hexDecode(A5.enc));
    const scope = new SecretScope();
    const ss = dhkemSharedSecret(scope, HPKE_P256_KEM_ID, dh, hexDecode(A5.enc), hexDecode(A5.pkRm));
    const { key, baseNonce } = keyScheduleBase(scope, HPKE_P256_KEM_ID, ss, hexDecode(A5.info));
    assert.equal(hex(ss), A5.shared_secret);
    assert.equal(hex(key), A5.key);
    assert.equal(hex(baseNonce), A5.base_nonce);
  });
});

describe('nothing secret outlives an open (X25519, the software device key)', () => {
  const params = async (aad: Uint8Array = hexDecode(A2_E0.aad)) => ({
    recipientKey: await importPrivateKey(hexDecode(A2.skRm)),
    enc: hexDecode(A2.enc),
    info: hexDecode(A2.info),
    aad,
    ct: hexDecode(A2_E0.ct),
  });

  it('after a successful open: the RFC values were held, and every buffer is zero', async () => {
    const r = recorder();
    const pt = await hpkeOpen(await params(), r.observe);
    assert.equal(hex(pt), A2_E0.pt);
    const s = RFC9180_A2_BASE_SCHEDULE;
    assert.equal(r.valueOf('shared_secret'), s.shared_secret);
    assert.equal(r.valueOf('secret'), s.secret);
    assert.equal(r.valueOf('key'), s.key);
    assert.equal(r.valueOf('base_nonce'), s.base_nonce);
    for (const name of ['dh', 'eae_prk', 'shared_secret/T1', 'secret', 'key/T1', 'base_nonce/T1']) {
      assert.ok(r.valueOf(name) !== undefined, `${name} was kept`);
    }
    assert.ok(!r.kept.some((k) => k.value === s.exporter_secret), 'the exporter secret is never derived');
    r.assertAllWiped();
  });

  it('after an AEAD failure (another aad): VIW_E_SEAL_OPEN_FAILED, and every buffer is zero', async () => {
    const r = recorder();
    await assert.rejects(hpkeOpen(await params(Uint8Array.of(1)), r.observe), (e) => {
      assert.ok(isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'));
      assert.deepEqual(e.details, ['hpke: OpenError']);
      return true;
    });
    assert.equal(r.valueOf('key'), RFC9180_A2_BASE_SCHEDULE.key);
    r.assertAllWiped();
  });

  it('refuses a low-order or short enc as a decap failure, before any key schedule', async () => {
    for (const enc of [new Uint8Array(32), new Uint8Array(31)]) {
      const r = recorder();
      await assert.rejects(hpkeOpen({ ...(await params()), enc }, r.observe), (e) => {
        assert.ok(isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'));
        assert.deepEqual(e.details, ['hpke: DecapError']);
        return true;
      });
      assert.deepEqual(r.kept, []);
    }
  });

  it('the plaintext is a buffer of its own, not a view into the library output', async () => {
    const pt = await hpkeOpen(await params());
    assert.equal(pt.byteOffset, 0);
    assert.equal(pt.buffer.byteLength, pt.byteLength);
  });
});

describe('nothing secret outlives an open (P-256: the TPM path and a software pair)', () => {
  const ciphertext = () => ({
    enc: hexDecode(A5.enc),
    info: hexDecode(A5.info),
    aad: hexDecode(A5_E0.aad),
    ct: hexDecode(A5_E0.ct),
  });

  it("the key holder's output, its copy and every intermediate are zero after the open", async () => {
    const returned: Uint8Array[] = [];
    const r = recorder();
    const pt = await hpkeOpenWithEcdh(
      { recipientPublicKey: hexDecode(A5.pkRm), ecdh: await a5Ecdh(returned), ...ciphertext() },
      r.observe,
    );
    assert.equal(hex(pt), A5_E0.pt);
    assert.equal(r.valueOf('shared_secret'), A5.shared_secret);
    assert.equal(r.valueOf('key'), A5.key);
    assert.equal(r.valueOf('base_nonce'), A5.base_nonce);
    assert.ok(r.valueOf('dh') !== undefined, "the open's copy of the DH output was kept");
    assert.equal(returned.length, 1);
    assert.ok(isZero(returned[0]!), "the key holder's buffer is wiped");
    r.assertAllWiped();
  });

  it('a wrong DH fails the AEAD and leaves nothing; a key-holder failure passes through', async () => {
    const returned: Uint8Array[] = [];
    const wrong: EcdhZ = async () => {
      const z = new Uint8Array(randomBytes(32));
      returned.push(z);
      return z;
    };
    const r = recorder();
    await assert.rejects(
      hpkeOpenWithEcdh({ recipientPublicKey: hexDecode(A5.pkRm), ecdh: wrong, ...ciphertext() }, r.observe),
      (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
    );
    assert.ok(isZero(returned[0]!));
    r.assertAllWiped();

    const down: EcdhZ = async () => {
      throw new ViworksError('VIW_E_KEYSTORE', { details: ['tpm2: unreachable'] });
    };
    await assert.rejects(
      hpkeOpenWithEcdh({ recipientPublicKey: hexDecode(A5.pkRm), ecdh: down, ...ciphertext() }),
      (e) => isViworksError(e, 'VIW_E_KEYSTORE'),
    );
  });

  it('a software P-256 key pair: the same values, the same wipe', async () => {
    const r = recorder();
    const recipientKey = await hpkeSuiteP256().kem.deriveKeyPair(hexDecode(A5.ikmR));
    const pt = await hpkeOpenP256({ recipientKey, ...ciphertext() }, r.observe);
    assert.equal(hex(pt), A5_E0.pt);
    assert.equal(r.valueOf('key'), A5.key);
    r.assertAllWiped();
  });
});
