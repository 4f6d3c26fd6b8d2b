// The OpenSSL signer must produce exactly the signatures the device always produced: RFC 8032's
// vectors, and byte-for-byte what tweetnacl (the former signer, still the reference elsewhere)
// gives for random seeds and messages. The PKCS#8 encoding that carries the seed is a secret buffer,
// zero once the call returns.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { ed25519PublicKey, ed25519Sign, newEd25519Seed } from './ed25519-seed.js';
import { allZero, isSecretBuffer, recordSecretBuffers } from './testing/secret-buffers.js';

const hex = (h: string) => Buffer.from(h, 'hex');

// RFC 8032 §7.1, TESTs 1–3: secret key (the seed), public key, message, signature.
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Ed25519 from the stored seed, by OpenSSL', () => {
  let recorder: ReturnType<typeof recordSecretBuffers> | undefined;
  afterEach(() => recorder?.stop());

  it('gives the RFC 8032 public keys and signatures', () => {
    for (const v of RFC8032) {
      assert.equal(Buffer.from(ed25519PublicKey(hex(v.seed))).toString('hex'), v.pub);
      assert.equal(ed25519Sign(hex(v.seed), hex(v.msg)).toString('hex'), v.sig);
    }
  });

  it('signs byte-for-byte as tweetnacl did, for random seeds and messages of any length', () => {
    for (let i = 0; i < 64; i++) {
      const seed = randomBytes(32);
      const message = randomBytes(i * 37);
      const pair = nacl.sign.keyPair.fromSeed(seed);
      assert.deepEqual(ed25519PublicKey(seed), pair.publicKey);
      assert.deepEqual(
        new Uint8Array(ed25519Sign(seed, message)),
        nacl.sign.detached(message, pair.secretKey),
      );
    }
  });

  it('makes fresh seeds in secret buffers, and wipes the PKCS#8 encoding of the seed after each use', () => {
    recorder = recordSecretBuffers();
    const seed = newEd25519Seed();
    assert.ok(isSecretBuffer(recorder.made, seed), 'the seed is a secret buffer');
    assert.ok(!allZero(seed) && !newEd25519Seed().equals(seed), 'random');
    ed25519Sign(seed, Buffer.from('text'));
    ed25519PublicKey(seed);
    const encodings = [...recorder.made].filter((b) => b !== seed && b.byteLength !== 32);
    assert.equal(encodings.length, 2, 'one PKCS#8 encoding per use, each a secret buffer');
    for (const der of encodings) assert.ok(isSecretBuffer(recorder.made, der) && allZero(der), 'wiped');
  });

  it('refuses a seed that is not 32 bytes (a tweetnacl 64-byte secret key too)', () => {
    for (const n of [0, 31, 33, 64]) {
      assert.throws(
        () => ed25519Sign(randomBytes(n), Buffer.from('x')),
        (e) => isViworksError(e, 'VIW_E_KEYSTORE'),
      );
    }
  });
});
