import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { loadOrCreatePki } from './embedded-pki.js';
import { createEndEntity } from './issue.js';
import { generateEcKeyPair } from './keys.js';
import { days, PROFILES } from './profiles.js';

const names = { commonName: 'backend-api', dns: ['localhost'], ips: ['127.0.0.1'] };

describe('embedded PKI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-pki-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates root → intermediates → backend-api that openssl verifies, with private file modes', async () => {
    const pki = await loadOrCreatePki(dir, names);
    const pkiDir = join(dir, 'pki');
    assert.equal(statSync(pkiDir).mode & 0o777, 0o700);
    for (const f of [
      'root.key',
      'int-tls.key',
      'int-vpn.key',
      'int-device.key',
      'backend-api.key',
      'backend-api.backup.key',
    ]) {
      assert.equal(statSync(join(pkiDir, f)).mode & 0o777, 0o600, f);
    }
    const [leafPem, intPem] = pki.backendApi.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(dir, 'leaf.pem'), leafPem!);
    writeFileSync(join(dir, 'int.pem'), intPem!);
    const out = execFileSync('openssl', [
      'verify',
      '-CAfile',
      join(pkiDir, 'root.crt'),
      '-untrusted',
      join(dir, 'int.pem'),
      '-purpose',
      'sslserver',
      '-x509_strict',
      join(dir, 'leaf.pem'),
    ]).toString();
    assert.match(out, /leaf\.pem: OK/);

    const leaf = new X509Certificate(pki.backendApi.certPem);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.ok(Date.parse(leaf.validTo) - Date.now() <= days(180) + 1000, 'backend-api valid ≤ 180 days');
    assert.equal(new X509Certificate(pki.rootPem).ca, true);
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('serves pins for the primary key and a distinct backup key', async () => {
    const pki = await loadOrCreatePki(dir, names);
    assert.equal(pki.backendApi.pins.primary_b64, spkiPinFromCertificate(pki.backendApi.certPem));
    assert.notEqual(pki.backendApi.pins.backup_b64, pki.backendApi.pins.primary_b64);
  });

  it('keeps keys and pins across restarts, and re-issues with the same key when names change', async () => {
    const first = await loadOrCreatePki(dir, names);
    const again = await loadOrCreatePki(dir, names);
    assert.equal(again.backendApi.certPem, first.backendApi.certPem);
    assert.equal(again.rootPem, first.rootPem);
    const renamed = await loadOrCreatePki(dir, { ...names, dns: ['localhost', 'api.lab.test'] });
    assert.notEqual(renamed.backendApi.certPem, first.backendApi.certPem);
    assert.deepEqual(renamed.backendApi.pins, first.backendApi.pins);
    assert.match(new X509Certificate(renamed.backendApi.certPem).subjectAltName ?? '', /DNS:api\.lab\.test/);
  });

  it('enforces profile lifetimes and usages', async () => {
    const pki = await loadOrCreatePki(dir, names);
    const { publicKey } = await generateEcKeyPair();
    const issuer = pki.intermediates['int-vpn'];
    await assert.rejects(
      createEndEntity(issuer, PROFILES['vpn-client'], { commonName: 's-1234' }, publicKey, days(2)),
      RangeError,
    );
    await assert.rejects(
      createEndEntity(issuer, PROFILES['vpn-client'], { commonName: 'a,CN=evil' }, publicKey, 60_000),
      RangeError,
    );
    const cert = await createEndEntity(
      issuer,
      PROFILES['vpn-client'],
      { commonName: 's-1234' },
      publicKey,
      600_000,
    );
    const node = new X509Certificate(cert.toString('pem'));
    assert.equal(node.subject, 'CN=s-1234\nO=ViWorkS');
    assert.ok(node.checkIssued(new X509Certificate(issuer.cert.toString('pem'))));
    assert.ok(Date.parse(node.validTo) - Date.now() <= 600_000 + 1000);
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'extendedKeyUsage,keyUsage'], {
      input: cert.toString('pem'),
    }).toString();
    assert.match(text, /TLS Web Client Authentication/);
    assert.doesNotMatch(text, /Server Authentication/);
  });
});
