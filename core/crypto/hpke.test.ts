import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecipientContext, SenderContext, SenderContextParams } from '@hpke/core';
import { isViworksError } from '../errors/viworks-error.js';
import { hexDecode } from './bytes.js';
import {
  generateDeviceKeyPair,
  HPKE_AEAD_ID,
  HPKE_KDF_ID,
  HPKE_KEM_ID,
  hpkeOpen,
  hpkeSeal,
  hpkeSuite,
  importPrivateKey,
  importPublicKey,
  X25519_KEY_BYTES,
} from './hpke.js';
import { type HpkeVector, RFC9180_A2 } from './hpke.vectors.js';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b as ArrayBuffer).toString('hex');
const MODE_NAMES = ['base', 'psk', 'auth', 'auth_psk'] as const;

/** Sender and recipient contexts set up deterministically from the vector's ikmE/ikmR (and ikmS, psk). */
async function setup(v: HpkeVector): Promise<{ sender: SenderContext; recipient: RecipientContext }> {
  const suite = hpkeSuite();
  const recipientPair = await suite.kem.deriveKeyPair(hexDecode(v.ikmR));
  const senderPair = v.ikmS ? await suite.kem.deriveKeyPair(hexDecode(v.ikmS)) : undefined;
  const psk = v.psk && v.psk_id ? { key: hexDecode(v.psk), id: hexDecode(v.psk_id) } : undefined;
  const info = hexDecode(v.info);
  const params: SenderContextParams = {
    recipientPublicKey: recipientPair.publicKey,
    info,
    ekm: hexDecode(v.ikmE),
  };
  if (senderPair) params.senderKey = senderPair;
  if (psk) params.psk = psk;
  const sender = await suite.createSenderContext(params);
  const recipient = await suite.createRecipientContext({
    recipientKey: recipientPair,
    enc: sender.enc,
    info,
    ...(senderPair ? { senderPublicKey: senderPair.publicKey } : {}),
    ...(psk ? { psk } : {}),
  });
  return { sender, recipient };
}

describe('hpkeSuite', () => {
  it('is DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305', () => {
    const suite = hpkeSuite();
    assert.equal(suite.kem.id, HPKE_KEM_ID);
    assert.equal(suite.kdf.id, HPKE_KDF_ID);
    assert.equal(suite.aead.id, HPKE_AEAD_ID);
    assert.equal(hpkeSuite(), suite, 'one shared instance');
  });
});

for (const v of RFC9180_A2) {
  describe(`RFC 9180 A.2 mode ${v.mode} (${MODE_NAMES[v.mode]})`, () => {
    it('derives skRm/pkRm from ikmR, skEm/pkEm from ikmE (and skSm/pkSm from ikmS)', async () => {
      const kem = hpkeSuite().kem;
      const pairs: Array<[string, string, string]> = [
        [v.ikmR, v.skRm, v.pkRm],
        [v.ikmE, v.skEm, v.pkEm],
      ];
      if (v.ikmS && v.skSm && v.pkSm) pairs.push([v.ikmS, v.skSm, v.pkSm]);
      for (const [ikm, sk, pk] of pairs) {
        const pair = await kem.deriveKeyPair(hexDecode(ikm));
        assert.equal(hex(await kem.serializePrivateKey(pair.privateKey)), sk);
        assert.equal(hex(await kem.serializePublicKey(pair.publicKey)), pk);
      }
    });

    it('produces enc = pkEm', async () => {
      const { sender } = await setup(v);
      assert.equal(hex(sender.enc), v.enc);
      assert.equal(v.enc, v.pkEm);
    });

    for (const e of v.encryptions) {
      it(`seq ${e.seq}: nonce, seal matches ct byte for byte, open gives pt`, async () => {
        // nonce = base_nonce XOR I2OSP(seq, Nn): checks the vector's own bookkeeping.
        const nonce = hexDecode(v.base_nonce);
        for (let i = 0; i < 4; i++) nonce[nonce.length - 1 - i]! ^= (e.seq >>> (8 * i)) & 0xff;
        assert.equal(hex(nonce), e.nonce);

        // Contexts are stateful: advance both through the sequence numbers the file skips.
        const { sender, recipient } = await setup(v);
        for (let s = 0; s < e.seq; s++) await recipient.open(await sender.seal(new Uint8Array(0)));
        const ct = await sender.seal(hexDecode(e.pt), hexDecode(e.aad));
        assert.equal(hex(ct), e.ct);
        assert.equal(hex(await recipient.open(hexDecode(e.ct), hexDecode(e.aad))), e.pt);
      });
    }

    it('exports match on both sides', async () => {
      const { sender, recipient } = await setup(v);
      for (const x of v.exports) {
        assert.equal(hex(await sender.export(hexDecode(x.context), x.length)), x.value);
        assert.equal(hex(await recipient.export(hexDecode(x.context), x.length)), x.value);
      }
    });
  });
}

describe('device keys', () => {
  const mode0 = RFC9180_A2[0]!;

  it('importPrivateKey(skRm) yields pkRm and opens the RFC base-mode ciphertext via hpkeOpen', async () => {
    const key = await importPrivateKey(hexDecode(mode0.skRm));
    assert.equal(hex(await crypto.subtle.exportKey('raw', key.publicKey)), mode0.pkRm);
    const e = mode0.encryptions[0]!;
    const pt = await hpkeOpen({
      recipientKey: key,
      enc: hexDecode(mode0.enc),
      info: hexDecode(mode0.info),
      aad: hexDecode(e.aad),
      ct: hexDecode(e.ct),
    });
    assert.equal(hex(pt), e.pt);
  });

  it('keeps the imported private key non-extractable', async () => {
    const { privateKey } = await importPrivateKey(hexDecode(mode0.skRm));
    assert.equal(privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey('pkcs8', privateKey));
  });

  it('generates raw 32-byte pairs that round-trip through seal/open', async () => {
    const { publicKey, privateKey } = await generateDeviceKeyPair();
    assert.equal(publicKey.length, X25519_KEY_BYTES);
    assert.equal(privateKey.length, X25519_KEY_BYTES);
    const info = new TextEncoder().encode('test');
    const aad = Uint8Array.of(1, 2, 3);
    const plaintext = new TextEncoder().encode('hello device');
    const sealed = await hpkeSeal({
      recipientPublicKey: await importPublicKey(publicKey),
      info,
      aad,
      plaintext,
    });
    assert.equal(sealed.enc.length, X25519_KEY_BYTES);
    const recipientKey = await importPrivateKey(privateKey);
    assert.deepEqual(await hpkeOpen({ recipientKey, ...sealed, info, aad }), plaintext);
    await assert.rejects(hpkeOpen({ recipientKey, ...sealed, info, aad: Uint8Array.of(1, 2, 4) }), (err) =>
      isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
    );
  });

  it('refuses keys of the wrong length with typed errors', async () => {
    await assert.rejects(importPublicKey(new Uint8Array(31)), (err) =>
      isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
    );
    await assert.rejects(importPrivateKey(new Uint8Array(33)), (err) =>
      isViworksError(err, 'VIW_E_KEYSTORE'),
    );
  });

  it('refuses low-order points: sealing to the zero key, opening a zero enc', async () => {
    const info = new Uint8Array(0);
    const aad = new Uint8Array(0);
    const zeroKey = await importPublicKey(new Uint8Array(X25519_KEY_BYTES));
    await assert.rejects(
      hpkeSeal({ recipientPublicKey: zeroKey, info, aad, plaintext: Uint8Array.of(1) }),
      (err) => isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
    );
    const recipientKey = await importPrivateKey(hexDecode(mode0.skRm));
    const ct = hexDecode(mode0.encryptions[0]!.ct);
    await assert.rejects(
      hpkeOpen({ recipientKey, enc: new Uint8Array(X25519_KEY_BYTES), info, aad, ct }),
      (err) => isViworksError(err, 'VIW_E_SEAL_OPEN_FAILED'),
    );
  });
});
