// Secret buffers: each views an ArrayBuffer of its own (off the JS heap, so a wipe reaches the only
// copy), and each goes through the page locker the daemon plugs in (mlock of its pages).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { secretBytes, secretCopy, secretPageLockFailures, setSecretPageLocker } from './bytes.js';

describe('secret buffers', () => {
  afterEach(() => setSecretPageLocker(null));

  it('own their ArrayBuffer (never a slice of the shared pool), zeroed', () => {
    for (const n of [1, 32, 64, 65, 5000]) {
      const b = secretBytes(n);
      assert.equal(b.byteOffset, 0);
      assert.equal(b.buffer.byteLength, n, 'no pool slab, no neighbour');
      assert.ok(b.every((x) => x === 0));
    }
    // What Buffer.from does for small sizes: a slice of the 8 KiB pool, shared with others.
    assert.notEqual(Buffer.from([1, 2, 3]).buffer.byteLength, 3);
    const src = Buffer.from('key material, 32 bytes long!!!!!');
    const copy = secretCopy(src);
    assert.deepEqual(copy, src);
    assert.equal(copy.buffer.byteLength, src.length);
  });

  it('go through the page locker once each; refusals are counted, not fatal', () => {
    const seen: number[] = [];
    setSecretPageLocker((b) => {
      seen.push(b.byteLength);
      return b.byteLength !== 13;
    });
    const before = secretPageLockFailures();
    secretBytes(32);
    secretCopy(Buffer.alloc(64));
    secretBytes(13);
    assert.deepEqual(seen, [32, 64, 13]);
    assert.equal(secretPageLockFailures() - before, 1);
  });
});
