import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { keyIdOf } from '../signer.js';
import { loadOrCreateShippingKey, shippingKeyPaths } from './shipping-key.js';

describe('SIEM shipping key', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'viw-shipkey-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is made on first use, private (0600 in a 0700 dir), and its public half is published', () => {
    const key = loadOrCreateShippingKey(dataDir);
    const paths = shippingKeyPaths(dataDir);
    assert.equal(statSync(paths.key).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'secrets')).mode & 0o777, 0o700);
    const published = readFileSync(paths.publicKey, 'utf8');
    assert.equal(published, key.publicKeyPem);
    assert.equal(keyIdOf(createPublicKey(published)), key.keyId);
    const body = Buffer.from('{"create":{}}\n');
    assert.ok(verify(null, body, createPublicKey(published), key.sign(body)));
  });

  it('is the same key on the next start, and a tampered public file is rewritten from it', () => {
    const first = loadOrCreateShippingKey(dataDir);
    writeFileSync(shippingKeyPaths(dataDir).publicKey, 'not a key');
    const second = loadOrCreateShippingKey(dataDir);
    assert.equal(second.keyId, first.keyId);
    assert.equal(readFileSync(shippingKeyPaths(dataDir).publicKey, 'utf8'), first.publicKeyPem);
  });

  it('refuses a key others can read, and a file that is not an Ed25519 key, without echoing it', () => {
    const path = shippingKeyPaths(dataDir).key;
    chmodSync(path, 0o644);
    assert.throws(
      () => loadOrCreateShippingKey(dataDir),
      (err) => isViworksError(err, 'VIW_E_CONFIG') && /readable by others/.test(err.details.join()),
    );
    writeFileSync(path, 'SECRET-LOOKING GARBAGE', { mode: 0o600 });
    chmodSync(path, 0o600);
    assert.throws(
      () => loadOrCreateShippingKey(dataDir),
      (err) =>
        isViworksError(err, 'VIW_E_CONFIG') &&
        /not an Ed25519/.test(err.details.join()) &&
        !JSON.stringify({ m: err.message, d: err.details }).includes('GARBAGE'),
    );
  });
});
