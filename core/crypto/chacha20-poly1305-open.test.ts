// The masked-keystream open against OpenSSL's own ChaCha20-Poly1305 decryption: same plaintext for
// every length around the 16- and 64-byte boundaries, and null for any change to ct, tag, aad, key
// or nonce. (The RFC 9180 A.2 and A.5 ciphertexts are opened through it in hpke-open.test.ts.)
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { secretCopy } from './bytes.js';
import { chacha20Poly1305Open } from './chacha20-poly1305-open.js';

function seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function opensslOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Buffer): Buffer {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(aad, { plaintextLength: ct.length - 16 });
  d.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
}

describe('chacha20Poly1305Open', () => {
  it('agrees with OpenSSL decryption for lengths 0..200 and larger', () => {
    for (const n of [...Array.from({ length: 201 }, (_, i) => i), 1000, 4096, 65_537]) {
      const key = secretCopy(randomBytes(32));
      const nonce = secretCopy(randomBytes(12));
      const aad = randomBytes(n % 37);
      const ct = seal(key, nonce, aad, randomBytes(n));
      const pt = chacha20Poly1305Open(key, nonce, aad, ct);
      assert.ok(pt !== null, `length ${n}`);
      assert.deepEqual(Buffer.from(pt), opensslOpen(key, nonce, aad, ct), `length ${n}`);
    }
  });

  it('returns null for any changed byte of ct or tag, another aad, key or nonce, or a short ct', () => {
    const key = secretCopy(randomBytes(32));
    const nonce = secretCopy(randomBytes(12));
    const aad = Buffer.from('aad');
    const ct = seal(key, nonce, aad, randomBytes(70));
    for (let i = 0; i < ct.length; i++) {
      const bad = Buffer.from(ct);
      bad[i] = bad[i]! ^ 0x80;
      assert.equal(chacha20Poly1305Open(key, nonce, aad, bad), null, `byte ${i}`);
    }
    assert.equal(chacha20Poly1305Open(key, nonce, Buffer.from('aaD'), ct), null);
    assert.equal(chacha20Poly1305Open(secretCopy(randomBytes(32)), nonce, aad, ct), null);
    assert.equal(chacha20Poly1305Open(key, secretCopy(randomBytes(12)), aad, ct), null);
    assert.equal(chacha20Poly1305Open(key, nonce, aad, ct.subarray(0, 15)), null);
    assert.notEqual(chacha20Poly1305Open(key, nonce, aad, ct), null, 'the untouched ct still opens');
  });

  it('gives the plaintext in a buffer of its own, and a fresh mask each time', () => {
    const key = secretCopy(randomBytes(32));
    const nonce = secretCopy(randomBytes(12));
    const ct = seal(key, nonce, new Uint8Array(0), Buffer.from('hello'));
    const a = chacha20Poly1305Open(key, nonce, new Uint8Array(0), ct)!;
    assert.equal(Buffer.from(a).toString(), 'hello');
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, 5);
  });
});
