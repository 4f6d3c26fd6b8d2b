import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError, ViworksError } from '../errors/viworks-error.js';
import { hexDecode } from './bytes.js';
import { HPKE_AEAD_ID, HPKE_KDF_ID } from './hpke.js';
import { dhkemSharedSecret } from './hpke-open.js';
import {
  type EcdhZ,
  HPKE_P256_KEM_ID,
  hpkeOpenP256,
  hpkeOpenWithEcdh,
  hpkeSuiteP256,
  importP256PublicKey,
} from './hpke-p256.js';
import { type P256Vector, RFC9180_A3_BASE, RFC9180_A5_BASE } from './hpke-p256.vectors.js';
import { SecretScope } from './secret-scope.js';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b as ArrayBuffer).toString('hex');
const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** A software stand-in for the TPM's ECDH_ZGen: the vector's skR (derived from ikmR) times the peer. */
async function softwareEcdh(v: P256Vector, calls: Uint8Array[] = []): Promise<EcdhZ> {
  const pair = await hpkeSuiteP256().kem.deriveKeyPair(hexDecode(v.ikmR));
  return async (peer) => {
    calls.push(peer);
    const pub = await crypto.subtle.importKey('raw', new Uint8Array(peer), P256, false, []);
    return new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, pair.privateKey, 256),
    );
  };
}

describe('hpkeSuiteP256', () => {
  it('is DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305', () => {
    const suite = hpkeSuiteP256();
    assert.equal(suite.kem.id, HPKE_P256_KEM_ID);
    assert.equal(suite.kdf.id, HPKE_KDF_ID);
    assert.equal(suite.aead.id, HPKE_AEAD_ID);
    assert.equal(hpkeSuiteP256(), suite, 'one shared instance');
  });
});

for (const [name, v] of [
  ['A.3', RFC9180_A3_BASE],
  ['A.5', RFC9180_A5_BASE],
] as const) {
  describe(`RFC 9180 ${name} base mode: DHKEM(P-256, HKDF-SHA256)`, () => {
    it('derives skRm/pkRm from ikmR and skEm/pkEm from ikmE', async () => {
      const kem = hpkeSuiteP256().kem;
      for (const [ikm, sk, pk] of [
        [v.ikmR, v.skRm, v.pkRm],
        [v.ikmE, v.skEm, v.pkEm],
      ] as const) {
        const pair = await kem.deriveKeyPair(hexDecode(ikm));
        assert.equal(hex(await kem.serializePrivateKey(pair.privateKey)), sk);
        assert.equal(hex(await kem.serializePublicKey(pair.publicKey)), pk);
      }
      assert.equal(v.enc, v.pkEm);
    });

    it('DH from the key holder, ExtractAndExpand here: shared_secret', async () => {
      const calls: Uint8Array[] = [];
      const dh = await (await softwareEcdh(v, calls))(hexDecode(v.enc));
      const scope = new SecretScope();
      const ss = dhkemSharedSecret(scope, HPKE_P256_KEM_ID, dh, hexDecode(v.enc), hexDecode(v.pkRm));
      assert.equal(hex(ss), v.shared_secret);
      assert.deepEqual(calls.map(hex), [v.enc], 'the key holder saw enc, once');
      scope.wipe();
      assert.ok(
        ss.every((b) => b === 0),
        'the scope wipes the shared secret',
      );
    });
  });
}

describe('RFC 9180 A.5 base mode: the envelope suite end to end', () => {
  const v = RFC9180_A5_BASE;
  const [e0, e1] = v.encryptions;

  it('seals to pkRm with ikmE: enc = pkEm, ct of sequence 0 and 1 as in the RFC', async () => {
    const suite = hpkeSuiteP256();
    const sender = await suite.createSenderContext({
      recipientPublicKey: await importP256PublicKey(hexDecode(v.pkRm)),
      info: hexDecode(v.info),
      ekm: hexDecode(v.ikmE),
    });
    assert.equal(hex(sender.enc), v.enc);
    assert.equal(hex(await sender.seal(hexDecode(e0!.pt), hexDecode(e0!.aad))), e0!.ct);
    assert.equal(hex(await sender.seal(hexDecode(e1!.pt), hexDecode(e1!.aad))), e1!.ct);
  });

  it('hpkeOpenWithEcdh opens the single-shot ciphertext (sequence 0)', async () => {
    const pt = await hpkeOpenWithEcdh({
      recipientPublicKey: hexDecode(v.pkRm),
      ecdh: await softwareEcdh(v),
      enc: hexDecode(v.enc),
      info: hexDecode(v.info),
      aad: hexDecode(e0!.aad),
      ct: hexDecode(e0!.ct),
    });
    assert.equal(hex(pt), e0!.pt);
  });

  it('hpkeOpenP256 (a software key pair) opens the same ciphertext', async () => {
    const recipientKey = await hpkeSuiteP256().kem.deriveKeyPair(hexDecode(v.ikmR));
    const pt = await hpkeOpenP256({
      recipientKey,
      enc: hexDecode(v.enc),
      info: hexDecode(v.info),
      aad: hexDecode(e0!.aad),
      ct: hexDecode(e0!.ct),
    });
    assert.equal(hex(pt), e0!.pt);
  });

  it('sequence 1 is not what a single-shot open accepts (its nonce is base_nonce itself)', async () => {
    await assert.rejects(
      hpkeOpenWithEcdh({
        recipientPublicKey: hexDecode(v.pkRm),
        ecdh: await softwareEcdh(v),
        enc: hexDecode(v.enc),
        info: hexDecode(v.info),
        aad: hexDecode(e1!.aad),
        ct: hexDecode(e1!.ct),
      }),
      (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
    );
  });
});

describe('hpkeOpenWithEcdh refusals', () => {
  const v = RFC9180_A5_BASE;
  const e0 = v.encryptions[0]!;
  const params = async (over: Partial<Parameters<typeof hpkeOpenWithEcdh>[0]> = {}) => ({
    recipientPublicKey: hexDecode(v.pkRm),
    ecdh: await softwareEcdh(v),
    enc: hexDecode(v.enc),
    info: hexDecode(v.info),
    aad: hexDecode(e0.aad),
    ct: hexDecode(e0.ct),
    ...over,
  });

  it('an enc that is not on the curve never reaches the key holder', async () => {
    const calls: Uint8Array[] = [];
    const enc = hexDecode(v.enc);
    enc[64] = enc[64]! ^ 1;
    await assert.rejects(hpkeOpenWithEcdh(await params({ enc, ecdh: await softwareEcdh(v, calls) })), (e) =>
      isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
    );
    for (const bad of [enc.subarray(0, 33), Buffer.concat([Buffer.from([0x02]), enc.subarray(1, 33)])]) {
      await assert.rejects(
        hpkeOpenWithEcdh(await params({ enc: bad, ecdh: await softwareEcdh(v, calls) })),
        (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
      );
    }
    assert.equal(calls.length, 0);
  });

  it('a wrong DH, a changed ct or aad fail as VIW_E_SEAL_OPEN_FAILED', async () => {
    const other = await hpkeSuiteP256().kem.generateKeyPair();
    const wrong: EcdhZ = async (peer) => {
      const pub = await crypto.subtle.importKey('raw', new Uint8Array(peer), P256, false, []);
      return new Uint8Array(
        await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, other.privateKey, 256),
      );
    };
    const ct = hexDecode(e0.ct);
    ct[0] = ct[0]! ^ 1;
    for (const over of [{ ecdh: wrong }, { ct }, { aad: new Uint8Array(3) }]) {
      await assert.rejects(hpkeOpenWithEcdh(await params(over)), (e) =>
        isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'),
      );
    }
  });

  it("a key holder's own failure passes through (the TPM is down ≠ not for this device)", async () => {
    const down: EcdhZ = async () => {
      throw new ViworksError('VIW_E_KEYSTORE', { details: ['tpm2: unreachable'] });
    };
    await assert.rejects(hpkeOpenWithEcdh(await params({ ecdh: down })), (e) =>
      isViworksError(e, 'VIW_E_KEYSTORE'),
    );
  });

  it('importP256PublicKey refuses wrong lengths, compressed points and points off the curve', async () => {
    const pk = hexDecode(v.pkRm);
    const off = Uint8Array.from(pk);
    off[40] = off[40]! ^ 1;
    for (const bad of [
      pk.subarray(0, 64),
      new Uint8Array(65),
      off,
      Uint8Array.from([0x03, ...pk.subarray(1, 33)]),
    ]) {
      await assert.rejects(importP256PublicKey(bad), (e) => isViworksError(e, 'VIW_E_SEAL_OPEN_FAILED'));
    }
  });
});
