// The keyring stores on the real Linux kernel keyring (@napi-rs/keyring over keyutils; the Secret
// Service needs a desktop session, which test machines lack): what `get` returns is a secret buffer
// (own ArrayBuffer off the JS heap, through the page locker), never the on-heap array the binding
// gives, and the device keys on top of it leave every buffer it handed out wiped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { peersRequired } from '../../scripts/testkit/peers.js';
import { DEVICE_HPKE_KEY, DEVICE_SIGNING_KEY } from './keystore.js';
import { KernelKeyringStore, probeKeyStore } from './os-keyring.js';
import { SecretStoreDeviceKeys } from './software-device-keys.js';
import {
  allZero,
  isSecretBuffer,
  RecordingSecretStore,
  recordSecretBuffers,
} from './testing/secret-buffers.js';

describe('kernel keyring store: secret buffers out, nothing left unwiped', () => {
  const kernel = new KernelKeyringStore(`viworksd-test-${randomBytes(4).toString('hex')}`);
  let usable = false;
  let recorder: ReturnType<typeof recordSecretBuffers> | undefined;

  before(async () => {
    // The first write of a process is refused (os-keyring.ts); the second probe tells.
    usable = (await probeKeyStore(kernel)) || (await probeKeyStore(kernel));
  });
  after(async () => {
    for (const name of [DEVICE_HPKE_KEY, DEVICE_SIGNING_KEY, 't-secret', 't-large']) {
      await kernel.delete(name).catch(() => false);
    }
  });
  afterEach(() => recorder?.stop());

  const needKeyring = (t: TestContext) => {
    if (usable) return true;
    if (peersRequired()) assert.fail('no kernel keyring (keyutils) on this machine');
    t.skip('no kernel keyring');
    return false;
  };

  it('get returns the secret in a secret buffer', async (t) => {
    if (!needKeyring(t)) return;
    recorder = recordSecretBuffers();
    const secret = randomBytes(32);
    await kernel.put('t-secret', secret);
    const back = await kernel.get('t-secret');
    assert.ok(back);
    assert.ok(isSecretBuffer(recorder.made, back), 'a secret buffer, not an on-heap copy');
    assert.ok(Buffer.from(back).equals(secret));
  });

  it('refuses to copy an entry far larger than any device secret', async (t) => {
    if (!needKeyring(t)) return;
    await kernel.put('t-large', randomBytes(5000));
    await assert.rejects(kernel.get('t-large'), (e) => isViworksError(e, 'VIW_E_KEYSTORE'));
  });

  it('device keys on it: every buffer it hands out is a secret buffer, zero after create, check and sign', async (t) => {
    if (!needKeyring(t)) return;
    recorder = recordSecretBuffers();
    const store = new RecordingSecretStore(kernel);
    const keys = new SecretStoreDeviceKeys(store);
    await keys.create();
    await keys.check();
    await keys.sign('d-1', 'POST', '/auth/login', Buffer.from('{}'));
    assert.equal(store.handedOut.length, 3);
    for (const buf of store.handedOut) {
      assert.ok(isSecretBuffer(recorder.made, buf), 'a secret buffer');
      assert.ok(allZero(buf), 'wiped');
    }
  });
});
