import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spkiPinFromCertificate } from '../../core/crypto/pins.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type EmbeddedPki, loadOrCreatePki } from './embedded-pki.js';
import { gatewayDir, loadGatewayMaterial } from './gateway-profile.js';
import { generateTlsCryptKey, isTlsCryptKey } from './tls-crypt.js';

// The exact pattern core/bootstrap/payload.ts applies to tls_crypt_key_inline.
const PAYLOAD_TLS_CRYPT =
  /^(#[^\n]*\n)*-----BEGIN OpenVPN Static key V1-----\n([0-9a-f]{32}\n){16}-----END OpenVPN Static key V1-----\n?$/;

describe('gateway profile', () => {
  let dir: string;
  let pki: EmbeddedPki;
  const fqdn = 'gw.lab.viworks.test';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-gw-'));
    pki = await loadOrCreatePki(dir, { commonName: 'backend-api', dns: ['localhost'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const verify = (leafPem: string, intName: 'int-tls' | 'int-vpn') => {
    writeFileSync(join(dir, 'root.pem'), pki.rootPem);
    writeFileSync(join(dir, 'int.pem'), pki.intermediates[intName].cert.toString('pem'));
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const r = spawnSync(
      'openssl',
      [
        'verify',
        '-x509_strict',
        '-purpose',
        'sslserver',
        '-CAfile',
        'root.pem',
        '-untrusted',
        'int.pem',
        'leaf.pem',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    return `${r.stdout}${r.stderr}`;
  };

  it('creates front-door TLS (primary + backup), OpenVPN server and tls-crypt material, private on disk', async () => {
    const m = await loadGatewayMaterial(pki, dir, fqdn);
    const gdir = gatewayDir(dir);
    assert.equal(statSync(gdir).mode & 0o777, 0o700);
    for (const f of [
      'tls-gateway.key',
      'tls-gateway.backup.key',
      'tls-gateway.crt',
      'vpn-server.key',
      'vpn-server.crt',
      'tls-crypt.key',
    ]) {
      assert.equal(statSync(join(gdir, f)).mode & 0o777, 0o600, f);
    }
    const tls = new X509Certificate(m.tlsGateway.certPem);
    assert.equal(tls.subjectAltName, `DNS:${fqdn}`);
    assert.equal(tls.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(verify(m.tlsGateway.certPem, 'int-tls'), /leaf\.pem: OK/);
    assert.match(verify(m.vpnServer.certPem, 'int-vpn'), /leaf\.pem: OK/);
    assert.equal(m.pins.primary_b64, spkiPinFromCertificate(tls));
    assert.notEqual(m.pins.backup_b64, m.pins.primary_b64);
    assert.ok(isTlsCryptKey(m.tlsCryptKey));
    assert.match(m.tlsCryptKey, PAYLOAD_TLS_CRYPT);
    assert.equal(readFileSync(join(gdir, 'tls-crypt.key'), 'utf8'), m.tlsCryptKey);
    assert.equal(m.vpnCaPem.match(/BEGIN CERTIFICATE/g)?.length, 2);
  });

  it('keeps keys and pins across restarts; a new FQDN re-issues on the same key', async () => {
    const a = await loadGatewayMaterial(pki, dir, fqdn);
    const b = await loadGatewayMaterial(pki, dir, fqdn);
    assert.equal(b.tlsGateway.certPem, a.tlsGateway.certPem);
    assert.equal(b.tlsCryptKey, a.tlsCryptKey);
    const c = await loadGatewayMaterial(pki, dir, 'gw2.lab.viworks.test');
    assert.notEqual(c.tlsGateway.certPem, a.tlsGateway.certPem);
    assert.deepEqual(c.pins, a.pins);
    assert.equal(c.vpnServer.keyPem, a.vpnServer.keyPem);
  });

  it('generates 2048 fresh bits per tls-crypt key and refuses a corrupted key file', async () => {
    const k1 = generateTlsCryptKey();
    const k2 = generateTlsCryptKey();
    assert.notEqual(k1, k2);
    const hex = k1
      .split('\n')
      .filter((l) => /^[0-9a-f]{32}$/.test(l))
      .join('');
    assert.equal(Buffer.from(hex, 'hex').length, 256);
    writeFileSync(join(gatewayDir(dir), 'tls-crypt.key'), k1.replace(/[0-9a-f]{32}/, 'x'.repeat(32)));
    await assert.rejects(loadGatewayMaterial(pki, dir, fqdn), (e) => isViworksError(e, 'VIW_E_CONFIG'));
  });
});
