import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { assertPinSet, isWellFormedPin, matchPin, spkiPinFromCertificate, spkiPinFromKey } from './pins.js';

function keyPin(): string {
  return spkiPinFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
}

describe('SPKI pins', () => {
  it('hashes the DER SubjectPublicKeyInfo, as openssl computes it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-pin-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          join(dir, 'k'),
          '-out',
          join(dir, 'c'),
          '-subj',
          '/CN=pin.test',
          '-days',
          '1',
        ],
        { stdio: 'ignore' },
      );
    } catch {
      t.skip('openssl not available');
      return;
    }
    const spkiDer = execFileSync('openssl', ['x509', '-in', join(dir, 'c'), '-pubkey', '-noout']);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: spkiDer });
    const expected = createHash('sha256').update(der).digest('base64');
    const pem = readFileSync(join(dir, 'c'), 'utf8');
    assert.equal(spkiPinFromCertificate(pem), expected);
    assert.equal(spkiPinFromCertificate(new X509Certificate(pem)), expected);
    assert.equal(isWellFormedPin(expected), true);
  });

  it('matches the primary or the backup, and nothing else', () => {
    const pins = { primary_b64: keyPin(), backup_b64: keyPin() };
    assert.equal(matchPin(pins.primary_b64, pins), 'primary');
    assert.equal(matchPin(pins.backup_b64, pins), 'backup');
    assert.throws(
      () => matchPin(keyPin(), pins),
      (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
    assert.throws(
      () => matchPin('', pins),
      (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
  });

  it('refuses malformed pin sets and a backup equal to the primary', () => {
    const good = keyPin();
    assert.doesNotThrow(() => assertPinSet({ primary_b64: good, backup_b64: keyPin() }, 'gateway'));
    for (const bad of [
      '',
      'abc',
      `${good.slice(0, 43)}`,
      `${good.slice(0, 42)}!=`,
      Buffer.alloc(31).toString('base64'),
    ]) {
      assert.equal(isWellFormedPin(bad), false, bad);
      assert.throws(
        () => assertPinSet({ primary_b64: bad, backup_b64: good }, 'gateway'),
        (e) => isViworksError(e, 'VIW_E_VALIDATION'),
      );
    }
    assert.throws(
      () => assertPinSet({ primary_b64: good, backup_b64: good }, 'gateway'),
      (e) => isViworksError(e, 'VIW_E_VALIDATION') && e.details.includes('gateway: backup equals primary'),
    );
  });
});
