// Key store selection without a TPM (the TPM-present cases run against swtpm in
// daemon-tpm2.test.ts): every step passed over says why, an enrolled device keeps its store, a
// forced store that does not work stops the start, a malformed TCTI is a configuration error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { FileKeyStore } from './file-store.js';
import { parseKeyStoreChoice, type SelectKeyStoreOptions, selectKeyStore } from './select.js';
import { Tpm2KeyStore } from './tpm2/tpm2-store.js';

describe('selectKeyStore without a TPM', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-select-'));
    writeFileSync(join(dir, 'machine-id'), `${'ab'.repeat(16)}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const select = async (o: Partial<SelectKeyStoreOptions> & { sub: string }) => {
    const lines: string[] = [];
    const store = await selectKeyStore({
      stateDir: join(dir, o.sub),
      machineIdPaths: [join(dir, 'machine-id')],
      log: (l) => lines.push(l),
      ...o,
    });
    return { store, lines };
  };

  it('auto: a configured TPM that is not there is passed over, saying why, down to a software store', async () => {
    const { store, lines } = await select({ sub: 'a', tpm2Tcti: 'device:/dev/tpmrm9' });
    assert.equal(store.protection, 'software');
    assert.match(
      lines[0] ?? '',
      /^key store: TPM 2\.0 at device:\/dev\/tpmrm9 not usable \((\/dev\/tpmrm9 not present|tpm2-tools not installed)/,
    );
    assert.match(lines.at(-1) ?? '', /^key store: (file-aes-gcm|os-keyring) \(software; no TPM/);
  });

  it('auto: an enrolled device keeps its store; a TPM device keeps tpm2 even when the TPM is away', async () => {
    const file = await select({ sub: 'b', enrolledStore: 'file-aes-gcm', tpm2Tcti: 'device:/dev/tpmrm9' });
    assert.ok(file.store instanceof FileKeyStore);
    assert.deepEqual(file.lines, ['key store: file-aes-gcm (software; the enrolled device)']);
    const tpm = await select({ sub: 'c', enrolledStore: 'tpm2', tpm2Tcti: 'device:/dev/tpmrm9' });
    assert.ok(tpm.store instanceof Tpm2KeyStore);
    assert.equal(tpm.store.protection, 'tpm2');
    assert.match(tpm.lines[0] ?? '', /tpm2 holds the enrolled device's keys but is not usable now/);
    assert.equal(tpm.lines[1], 'key store: tpm2 (tpm2; the enrolled device)');
  });

  it('forced: file as asked; tpm2 without a TPM stops the start', async () => {
    assert.ok((await select({ sub: 'd', choice: 'file' })).store instanceof FileKeyStore);
    await assert.rejects(select({ sub: 'e', choice: 'tpm2', tpm2Tcti: 'device:/dev/tpmrm9' }), (e) => {
      assert.ok(isViworksError(e, 'VIW_E_KEYSTORE'));
      assert.match(e.details[0] ?? '', /^tpm2: not usable \(/);
      return true;
    });
  });

  it('refuses a malformed TCTI (it goes into a child environment) and unknown choices', async () => {
    for (const tcti of [
      'swtpm:host=1.2.3.4;rm -rf /',
      'device:/etc/shadow',
      'cmd:sh -c x',
      'swtpm:port=1\nX=1',
    ]) {
      await assert.rejects(
        select({ sub: 'f', tpm2Tcti: tcti }),
        (e) => isViworksError(e, 'VIW_E_CONFIG'),
        tcti,
      );
    }
    assert.equal(parseKeyStoreChoice('tpm2'), 'tpm2');
    assert.equal(parseKeyStoreChoice(undefined), 'auto');
    assert.throws(
      () => parseKeyStoreChoice('pkcs11'),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});
