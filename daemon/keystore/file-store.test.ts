import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { FileKeyStore } from './file-store.js';
import { KernelKeyringStore, OsKeyringStore, probeKeyStore } from './os-keyring.js';
import { selectKeyStore } from './select.js';
import { isSecretBuffer, recordSecretBuffers } from './testing/secret-buffers.js';

const root = mkdtempSync(join(tmpdir(), 'viw-keystore-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function setup(machineId = 'a'.repeat(32)) {
  const base = join(root, `case-${n++}`);
  const idFile = join(root, `machine-id-${n}`);
  writeFileSync(idFile, `${machineId}\n`);
  return {
    dir: join(base, 'keys'),
    store: new FileKeyStore({ dir: join(base, 'keys'), machineIdPaths: [idFile] }),
    idFile,
  };
}

const keystoreError = (err: unknown) => isViworksError(err, 'VIW_E_KEYSTORE');

describe('FileKeyStore (encrypted-file fallback)', () => {
  it('round-trips a secret; reports software protection', async () => {
    const { store } = setup();
    const secret = randomBytes(32);
    await store.put('device-hpke-x25519', secret);
    const back = await store.get('device-hpke-x25519');
    assert.ok(back && Buffer.from(back).equals(secret));
    assert.equal(await store.get('absent'), null);
    assert.equal(store.protection, 'software');
    assert.equal(await store.delete('device-hpke-x25519'), true);
    assert.equal(await store.delete('device-hpke-x25519'), false);
    assert.equal(await store.get('device-hpke-x25519'), null);
  });

  it('hands the secret out in a secret buffer (off the JS heap, through the page locker)', async () => {
    const { store } = setup();
    await store.put('k1', randomBytes(32));
    const recorder = recordSecretBuffers();
    try {
      const back = await store.get('k1');
      assert.ok(back && isSecretBuffer(recorder.made, back));
    } finally {
      recorder.stop();
    }
  });

  it('writes a 0700 directory and 0600 files that do not contain the secret', async () => {
    const { store, dir } = setup();
    const secret = randomBytes(32);
    await store.put('k1', secret);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const f of readdirSync(dir)) {
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
      const raw = readFileSync(join(dir, f));
      assert.ok(!raw.includes(secret), `${f} holds the plaintext`);
      assert.ok(!raw.toString('latin1').includes(secret.toString('base64')));
      assert.ok(!raw.toString('latin1').includes(secret.toString('hex')));
    }
  });

  it('refuses a tampered file (any flipped byte) and a file renamed to another secret', async () => {
    const { store, dir } = setup();
    await store.put('k1', randomBytes(32));
    const file = join(dir, 'k1.key');
    const good = readFileSync(file);
    for (const at of [4, 10, good.length - 20, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(file, bad, { mode: 0o600 });
      await assert.rejects(store.get('k1'), keystoreError, `byte ${at}`);
    }
    writeFileSync(join(dir, 'k2.key'), good, { mode: 0o600 });
    await assert.rejects(store.get('k2'), keystoreError, 'the name is bound in the AAD');
  });

  it('does not open on another machine (different machine id)', async () => {
    const { store, idFile } = setup();
    await store.put('k1', randomBytes(32));
    writeFileSync(idFile, `${'b'.repeat(32)}\n`);
    await assert.rejects(store.get('k1'), keystoreError);
  });

  it('refuses files and a directory that group or others can read', async () => {
    const { store, dir } = setup();
    await store.put('k1', randomBytes(32));
    chmodSync(join(dir, 'k1.key'), 0o644);
    await assert.rejects(store.get('k1'), keystoreError);
    chmodSync(join(dir, 'k1.key'), 0o600);
    chmodSync(dir, 0o755);
    await assert.rejects(store.get('k1'), keystoreError);
    chmodSync(dir, 0o700);
    assert.ok(await store.get('k1'));
  });

  it('refuses names outside [a-z0-9-] (no path tricks) and a missing machine id', async () => {
    const { store } = setup();
    await assert.rejects(store.put('../x', randomBytes(4)), keystoreError);
    await assert.rejects(store.get('A'), keystoreError);
    const noId = new FileKeyStore({ dir: join(root, 'noid'), machineIdPaths: [join(root, 'missing')] });
    await assert.rejects(noId.put('k', randomBytes(4)), keystoreError);
  });
});

describe('OS and kernel keyrings (@napi-rs/keyring)', () => {
  it('the probe decides; auto falls back to the file store when no OS keyring works', async () => {
    const osOk = await probeKeyStore(new OsKeyringStore('viworksd-test'));
    const store = await selectKeyStore({ stateDir: join(root, 'auto'), choice: 'auto' });
    assert.equal(store.name, osOk ? 'os-keyring' : 'file-aes-gcm');
  });

  it('the kernel keyring round-trips when available (volatile: never chosen automatically)', async (t) => {
    const kernel = new KernelKeyringStore('viworksd-test');
    // The first write of a process is refused (os-keyring.ts); the second probe tells.
    if (!(await probeKeyStore(kernel)) && !(await probeKeyStore(kernel))) return t.skip('no kernel keyring');
    const secret = randomBytes(32);
    await kernel.put('t-secret', secret);
    const back = await kernel.get('t-secret');
    assert.ok(back && Buffer.from(back).equals(secret));
    assert.equal(await kernel.delete('t-secret'), true);
    assert.equal(await kernel.get('t-secret'), null);
  });
});
