// releaseNativeCopies really collects: a TLS context (with a private key inside, as the proxy's)
// that nothing references any more is gone afterwards, as a WeakRef to it shows. The lab's memory
// scan (secrets-memory.e2e.test.ts) checks the effect that matters: no key scalar after disconnect.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { releaseNativeCopies } from './native-copies.js';

function droppedContext(): WeakRef<object> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = privateKey.export({ format: 'pem', type: 'pkcs8' });
  return new WeakRef(createSecureContext({ key, minVersion: 'TLSv1.3' }));
}

describe('releaseNativeCopies', () => {
  it('collects a dropped SecureContext now, not whenever V8 gets to it', async () => {
    const ref = droppedContext();
    // A WeakRef's target lives to the end of the job that made it.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await releaseNativeCopies(), true);
    assert.equal(ref.deref(), undefined);
  });
});
