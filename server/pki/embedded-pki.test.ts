import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spkiPinFromCertificate } from '../../core/crypto/pins.js';
import {
  createSoftHsmToken,
  type SoftHsmToken,
  softHsmPeers,
  useSoftHsmToken,
} from '../../scripts/testkit/softhsm.js';
import { buildCrl } from './crl.js';
import { describeKeyStorage, loadOrCreatePki } from './embedded-pki.js';
import { type Hsm, openHsm } from './hsm/hsm.js';
import { createEndEntity, type Issuer } from './issue.js';
import { generateEcKeyPair } from './keys.js';
import { days, type EndEntityProfile, INTERMEDIATES, PROFILES } from './profiles.js';

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

describe('embedded PKI with the intermediates in a PKCS#11 token (SoftHSM2)', {
  skip: softHsmPeers().skip,
}, () => {
  let token: SoftHsmToken;
  let dir: string;
  let hsm: Hsm;
  const open = () => openHsm({ module: token.module, tokenLabel: token.tokenLabel, pinFile: token.pinFile });
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  /** A fresh end-entity certificate from `issuer`, checked by openssl against root + that intermediate. */
  const issueAndVerify = async (issuer: Issuer, profile: EndEntityProfile, commonName: string) => {
    const { publicKey } = await generateEcKeyPair();
    const cert = await createEndEntity(issuer, profile, { commonName }, publicKey, 3_600_000);
    writeFileSync(join(dir, 'leaf.pem'), cert.toString('pem'));
    writeFileSync(join(dir, 'int.pem'), issuer.cert.toString('pem'));
    return openssl([
      'verify',
      '-x509_strict',
      '-CAfile',
      'pki/root.crt',
      '-untrusted',
      'int.pem',
      'leaf.pem',
    ]);
  };

  before(async () => {
    token = await createSoftHsmToken();
    useSoftHsmToken(token);
    dir = mkdtempSync(join(tmpdir(), 'viw-pki-hsm-'));
    hsm = await open();
  });
  after(async () => {
    await hsm?.close();
    rmSync(dir, { recursive: true, force: true });
    await token?.destroy();
  });

  it('makes the intermediates in the token; they sign device and session certificates openssl verifies', async () => {
    const pki = await loadOrCreatePki(dir, names, { hsm });
    for (const name of INTERMEDIATES) {
      assert.equal(existsSync(join(dir, 'pki', `${name}.key`)), false, `${name}: no key file`);
      assert.ok(pki.intermediates[name].crypto, `${name}: signs through the token`);
    }
    assert.deepEqual(describeKeyStorage(pki), {
      root: 'file',
      'int-tls': 'pkcs11',
      'int-vpn': 'pkcs11',
      'int-device': 'pkcs11',
      audit: 'pkcs11',
    });
    assert.deepEqual(describeKeyStorage(pki, { storage: 'file' }).audit, 'file');
    const labels = (await hsm.describe()).keys.map((k) => k.label);
    assert.deepEqual(labels, ['viworks-int-device', 'viworks-int-tls', 'viworks-int-vpn']);
    assert.match(
      await issueAndVerify(pki.intermediates['int-device'], PROFILES['device-client'], 'dev-1'),
      /leaf\.pem: OK/,
    );
    assert.match(
      await issueAndVerify(pki.intermediates['int-vpn'], PROFILES['vpn-client'], 's-1'),
      /leaf\.pem: OK/,
    );
    // The backend-api certificate (made at load) comes from the token's int-tls.
    const [leafPem, intPem] = pki.backendApi.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(dir, 'leaf.pem'), leafPem!);
    writeFileSync(join(dir, 'int.pem'), intPem!);
    assert.match(
      openssl([
        'verify',
        '-purpose',
        'sslserver',
        '-CAfile',
        'pki/root.crt',
        '-untrusted',
        'int.pem',
        'leaf.pem',
      ]),
      /leaf\.pem: OK/,
    );
    // A key that is not the intermediate's: openssl must say no (the check can fail).
    const stranger = await generateEcKeyPair();
    const forged = { ...pki.intermediates['int-vpn'], keys: stranger, crypto: undefined };
    assert.doesNotMatch(await issueAndVerify(forged, PROFILES['vpn-client'], 's-2'), /leaf\.pem: OK/);
  });

  it('signs CRLs with a token key that openssl verifies and applies', async () => {
    const pki = await loadOrCreatePki(dir, names, { hsm });
    const issuer = pki.intermediates['int-vpn'];
    const { publicKey } = await generateEcKeyPair();
    const serial = '5a0f00d1';
    const revokedCert = await createEndEntity(
      issuer,
      PROFILES['vpn-client'],
      { commonName: 's-9' },
      publicKey,
      600_000,
      serial,
    );
    const now = new Date(Date.now() - 60_000);
    const crl = await buildCrl(issuer, [{ serial, revokedAt: now, reason: 'keyCompromise' }], 7n, now);
    writeFileSync(join(dir, 'int-vpn.crl'), crl);
    writeFileSync(join(dir, 'chain.pem'), `${issuer.cert.toString('pem')}\n${pki.rootPem}`);
    writeFileSync(join(dir, 'revoked.pem'), revokedCert.toString('pem'));
    assert.match(openssl(['crl', '-in', 'int-vpn.crl', '-CAfile', 'chain.pem', '-noout']), /verify OK/);
    const checked = openssl([
      'verify',
      '-crl_check',
      '-CAfile',
      'pki/root.crt',
      '-untrusted',
      'chain.pem',
      '-CRLfile',
      'int-vpn.crl',
      'revoked.pem',
    ]);
    assert.match(checked, /certificate revoked/);
  });

  it('finds the same token keys after a reopen and keeps issuing', async () => {
    const before = await loadOrCreatePki(dir, names, { hsm });
    await hsm.close();
    hsm = await open();
    const again = await loadOrCreatePki(dir, names, { hsm });
    for (const name of INTERMEDIATES) {
      assert.equal(
        again.intermediates[name].cert.toString('pem'),
        before.intermediates[name].cert.toString('pem'),
      );
      assert.equal(again.storage.intermediates[name], 'pkcs11');
    }
    assert.equal(again.backendApi.certPem, before.backendApi.certPem);
    assert.match(
      await issueAndVerify(again.intermediates['int-tls'], PROFILES['tls-gateway'], 'gw-1'),
      /leaf\.pem: OK/,
    );
  });

  it('without the token, refuses to load intermediates whose keys are in it', async () => {
    await assert.rejects(loadOrCreatePki(dir, names), /key is missing/);
  });

  it('keeps file-key intermediates working (reported as file) when a token is added later', async () => {
    const older = mkdtempSync(join(tmpdir(), 'viw-pki-upgrade-'));
    try {
      const first = await loadOrCreatePki(older, names);
      const withToken = await loadOrCreatePki(older, names, { hsm });
      assert.equal(withToken.storage.intermediates['int-tls'], 'file');
      assert.equal(
        withToken.intermediates['int-tls'].cert.toString('pem'),
        first.intermediates['int-tls'].cert.toString('pem'),
      );
      assert.equal(readFileSync(join(older, 'pki', 'int-tls.key'), 'utf8').length > 0, true);
    } finally {
      rmSync(older, { recursive: true, force: true });
    }
  });
});
