// An organisation's own attestation CA for managed authenticators: a root it configures as trusted
// in the phone attestation policy (server/services/mobile/attestation), and the attestation
// certificates it puts on the authenticators it hands out. The namespace lab uses one for its phone
// simulator; tests make their own. Certificates follow WebAuthn §8.2.1 (packed attestation
// certificate requirements): version 3, subject C/O/OU="Authenticator Attestation"/CN, not a CA,
// and the FIDO AAGUID extension naming the authenticator model.

import { randomSerial } from './issue.js';
import { generateEcKeyPair, privateKeyToPem, SIGNING_ALG } from './keys.js';
import { x509 } from './x509.js';

/** id-fido-gen-ce-aaguid (1.3.6.1.4.1.45724.1.1.4). */
const FIDO_AAGUID_OID = '1.3.6.1.4.1.45724.1.1.4';
const DAY_MS = 86_400_000;

function name(org: string, commonName: string, ou?: string): string {
  for (const part of [org, commonName, ou ?? '']) {
    if (!/^[A-Za-z0-9 ._-]{0,64}$/.test(part)) throw new RangeError('invalid name part');
  }
  return `C=DE, O=${org}, ${ou ? `OU=${ou}, ` : ''}CN=${commonName}`;
}

export async function createAttestationRoot(org: string, keys: CryptoKeyPair, lifetimeDays: number) {
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: name(org, `${org} Attestation Root`),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + lifetimeDays * DAY_MS),
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

/** An attestation certificate for one authenticator model (AAGUID), signed by the root. */
export async function issueAttestationCert(
  root: { cert: x509.X509Certificate; keys: CryptoKeyPair },
  org: string,
  aaguid: Uint8Array,
  publicKey: CryptoKey,
  lifetimeDays: number,
) {
  if (aaguid.length !== 16) throw new RangeError('an AAGUID is 16 bytes');
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name(org, `${org} Authenticator`, 'Authenticator Attestation'),
    issuer: root.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + lifetimeDays * DAY_MS, root.cert.notAfter.getTime())),
    signingAlgorithm: SIGNING_ALG,
    publicKey,
    signingKey: root.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // extnValue holds an OCTET STRING with the 16-byte AAGUID.
      new x509.Extension(FIDO_AAGUID_OID, false, new Uint8Array([0x04, 0x10, ...aaguid])),
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
    ],
  });
}

/** A fresh attestation root and one authenticator model under it, as plain PEM/DER data. */
export async function newAuthenticatorModel(org: string, aaguid: Uint8Array, lifetimeDays: number) {
  const rootKeys = await generateEcKeyPair();
  const root = await createAttestationRoot(org, rootKeys, lifetimeDays);
  const leafKeys = await generateEcKeyPair();
  const leaf = await issueAttestationCert(
    { cert: root, keys: rootKeys },
    org,
    aaguid,
    leafKeys.publicKey,
    lifetimeDays,
  );
  return {
    rootPem: root.toString('pem'),
    /** The attestation certificate (DER) the authenticator presents in x5c. */
    certDer: new Uint8Array(leaf.rawData),
    /** The attestation private key (PKCS#8 PEM); the root's key is not kept. */
    keyPem: await privateKeyToPem(leafKeys.privateKey),
  };
}
