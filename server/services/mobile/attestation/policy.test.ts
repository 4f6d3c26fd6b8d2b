// Which certificates may be configured as attestation trust roots: CAs, and self-signed
// attestation certificates (a pin on one model's attestation key, as FIDO metadata lists some
// models' batch certificates); an attestation certificate issued by someone else is refused.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { newAuthenticatorModel } from '../../../pki/attestation-ca.js';
import { generateEcKeyPair, SIGNING_ALG } from '../../../pki/keys.js';
import { x509 } from '../../../pki/x509.js';
import { loadAttestationRoots } from './policy.js';

const AAGUID = new Uint8Array(16).fill(7);

async function selfSignedAttestationCert(): Promise<string> {
  const keys = await generateEcKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'C=US, O=Model, OU=Authenticator Attestation, CN=Batch Certificate',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return cert.toString('pem');
}

const load = (pem: string) => loadAttestationRoots({ packed: '/roots.pem' }, () => pem);

describe('attestation trust roots', () => {
  it('takes a CA certificate', async () => {
    const model = await newAuthenticatorModel('Acme', AAGUID, 2);
    assert.deepEqual(load(model.rootPem), { packed: [model.rootPem.trim()] });
  });

  it('takes a self-signed attestation certificate: a pin on that attestation key', async () => {
    const pem = await selfSignedAttestationCert();
    assert.equal(new X509Certificate(pem).ca, false);
    assert.equal(load(pem).packed?.length, 1);
  });

  it('refuses an attestation certificate issued by another (VIW_E_CONFIG naming the setting)', async () => {
    const model = await newAuthenticatorModel('Acme', AAGUID, 2);
    const issued = new X509Certificate(model.certDer).toString();
    assert.throws(
      () => load(issued),
      (e: Error & { code?: string; details?: string[] }) =>
        e.code === 'VIW_E_CONFIG' &&
        /attestationRoots\.packed: .*neither a CA nor self-signed/.test(e.details?.join() ?? ''),
    );
  });
});
