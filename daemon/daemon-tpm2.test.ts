// viworksd with its device keys in a TPM 2.0 (a real software TPM: swtpm + tpm2-tools) against a
// REAL backend: enroll (P-256 keys made in the TPM, key_type p256, key_protection tpm2) → login
// and the phone's code (every request ECDSA-signed by the TPM and verified by the server) → connect
// (the bootstrap sealed by the backend in the P-256 suite, opened through the TPM's ECDH) → status
// shows the TPM key (tpm2) → disconnect. Afterwards no file under the daemon's directory holds
// either private key and no log line carries the keys' auth value. Plus the start-time selection:
// `auto` picks the TPM when one answers, keeps an enrolled device's store, and says why.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ENVELOPE_SUITE_P256 } from '../core/crypto/envelope-format.js';
import { startSwtpm, swtpmPeers, type TestSwtpm } from '../scripts/testkit/swtpm.js';
import { ctxOf } from '../server/testing/identity-fixtures.js';
import { FileKeyStore } from './keystore/file-store.js';
import type { KeyStore } from './keystore/keystore.js';
import { selectKeyStore } from './keystore/select.js';
import { Tpm2KeyStore } from './keystore/tpm2/tpm2-store.js';
import { type BackendSession, startBackendSession } from './testing/backend-session.js';
import { filesUnder, privateKeyIn } from './testing/p256-key-search.js';

const skip = swtpmPeers().skip;
const PASSWORD = 'tina tpm correct horse 31';

describe('viworksd with a TPM 2.0 key store against the real backend', { skip }, () => {
  let tpm: TestSwtpm;
  let b: BackendSession;
  let store: Tpm2KeyStore;
  /** The suite of every envelope the daemon opened. */
  const opened: string[] = [];

  before(async () => {
    tpm = await startSwtpm();
    b = await startBackendSession('tina', PASSWORD, {
      keyStore: (stateDir) => {
        store = new Tpm2KeyStore({ dir: join(stateDir, 'tpm2'), tcti: tpm.tcti });
        const open = store.openEnvelope.bind(store);
        store.openEnvelope = (envelope, o) => {
          opened.push((envelope as { suite: string }).suite);
          return open(envelope, o);
        };
        return store;
      },
    });
  });
  after(async () => {
    await b?.stop();
    await tpm?.stop();
  });

  it('enrolls with P-256 keys made in the TPM: key_type p256, key_protection tpm2', async () => {
    await b.enrollWithToken(PASSWORD);
    const device = await b.d.client.device();
    assert.equal(device.key_protection, 'tpm2');
    assert.equal(device.key_store, 'tpm2');
    const row = await ctxOf(b.ts).db.desktopDevice.findUniqueOrThrow({ where: { id: device.device_id } });
    assert.equal(row.keyType, 'p256');
    assert.equal(row.keyProtection, 'tpm2');
    assert.equal(row.hpkePublicKey, Buffer.from((await store.publicKey('hpke')).point).toString('base64url'));
    assert.equal(
      row.signingPublicKey,
      Buffer.from((await store.publicKey('sign')).point).toString('base64url'),
    );
  });

  it('logs in (TPM-signed requests verified by the backend), connects (bootstrap opened through the TPM), disconnects', async () => {
    assert.equal(await b.login(PASSWORD), false);
    const connected = await b.d.client.connect();
    assert.equal(connected.state, 'connected');
    const s = await b.d.client.status();
    assert.equal(s.state, 'connected');
    assert.match(s.session?.session_id ?? '', /^s-[0-9a-f]{32}$/);
    assert.equal(s.device?.key_protection, 'tpm2');
    assert.equal(s.device?.key_store, 'tpm2');
    // The backend sealed to the TPM device's P-256 key, and the TPM store opened it.
    assert.deepEqual(opened, [ENVELOPE_SUITE_P256]);
    assert.equal((await b.d.client.disconnect()).state, 'enrolled');
  });

  it('no file of the daemon holds a private key; no log line holds the auth value', async () => {
    const points = [(await store.publicKey('hpke')).point, (await store.publicKey('sign')).point];
    const files = filesUnder(b.d.dir);
    assert.ok(
      files.some((f) => f.endsWith('/tpm2/sign.priv')) && files.some((f) => f.endsWith('device.json')),
    );
    assert.equal(privateKeyIn(files, points), null);
    const auth = readFileSync(join(store.dir, 'auth'));
    const log = b.d.logText();
    for (const form of [auth.toString('hex'), auth.toString('base64'), auth.toString('base64url')]) {
      assert.ok(!log.includes(form));
    }
    assert.ok(log.includes('device.enroll'), 'the searched log is real');
  });
});

describe('key store selection with a TPM', { skip }, () => {
  let tpm: TestSwtpm;
  let dir: string;
  before(async () => {
    tpm = await startSwtpm();
    dir = mkdtempSync(join(tmpdir(), 'viw-select-'));
  });
  after(async () => {
    await tpm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const select = async (o: Partial<Parameters<typeof selectKeyStore>[0]> & { sub: string }) => {
    const lines: string[] = [];
    const store: KeyStore = await selectKeyStore({
      stateDir: join(dir, o.sub),
      machineIdPaths: [join(dir, 'machine-id')],
      log: (l) => lines.push(l),
      ...o,
    });
    return { store, lines };
  };

  it('auto: the TPM first when it answers, reported as tpm2', async () => {
    const { store, lines } = await select({ sub: 'a', tpm2Tcti: tpm.tcti });
    assert.ok(store instanceof Tpm2KeyStore);
    assert.deepEqual(lines, [`key store: tpm2 (tpm2; TCTI ${tpm.tcti})`]);
  });

  it('auto: a TPM that does not answer is passed over, saying why, down to the encrypted file', async () => {
    const { store, lines } = await select({ sub: 'b', tpm2Tcti: 'swtpm:host=127.0.0.1,port=1' });
    assert.ok(store instanceof FileKeyStore || store.name === 'os-keyring');
    assert.match(
      lines[0] ?? '',
      /^key store: TPM 2\.0 at swtpm:host=127\.0\.0\.1,port=1 not usable \(tpm2: tpm2_createprimary failed/,
    );
    assert.match(lines.at(-1) ?? '', /^key store: (file-aes-gcm|os-keyring) \(software; no TPM/);
  });

  it('auto: an enrolled software device keeps its store although a TPM answers', async () => {
    const file = await select({ sub: 'c', tpm2Tcti: tpm.tcti, enrolledStore: 'file-aes-gcm' });
    assert.ok(file.store instanceof FileKeyStore);
    assert.deepEqual(file.lines, ['key store: file-aes-gcm (software; the enrolled device)']);
  });

  it('forced tpm2 takes a TPM that answers', async () => {
    assert.ok((await select({ sub: 'e', choice: 'tpm2', tpm2Tcti: tpm.tcti })).store instanceof Tpm2KeyStore);
  });
});
