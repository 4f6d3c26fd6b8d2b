// An App Attest device for tests: a test root and intermediate standing in for Apple's App
// Attestation Root CA and CA 1, and attestation objects and assertions built the way an iPhone
// builds them (Apple's "Validating apps that connect to your server"). Used by the verifier's unit
// test and by the route test that binds an iOS phone in production mode.
import { createHash, KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { randomSerial } from '../pki/issue.js';
import { generateEcKeyPair, SIGNING_ALG } from '../pki/keys.js';
import { x509 } from '../pki/x509.js';

const DAY_MS = 86_400_000;
const NONCE_OID = '1.2.840.113635.100.8.2';
export const APP_ATTEST_AAGUID = {
  production: Buffer.from('appattest\0\0\0\0\0\0\0', 'latin1'),
  development: Buffer.from('appattestdevelop', 'latin1'),
};

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const cbor = (value: unknown) => Buffer.from(isoCBOR.encode(value as Parameters<typeof isoCBOR.encode>[0]));

/** A test root and intermediate, as Apple's App Attestation Root CA and CA 1 are. */
export async function appAttestTestPki(org: string) {
  const now = Date.now();
  const rootKeys = await generateEcKeyPair();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${org} App Attestation Root CA, O=${org}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    signingAlgorithm: SIGNING_ALG,
    keys: rootKeys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const caKeys = await generateEcKeyPair();
  const ca = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${org} App Attestation CA 1, O=${org}`,
    issuer: root.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 300 * DAY_MS),
    signingAlgorithm: SIGNING_ALG,
    publicKey: caKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { rootPem: root.toString('pem'), ca, caKeys };
}
export type AppAttestTestPki = Awaited<ReturnType<typeof appAttestTestPki>>;

export interface AttestationBuild {
  /** `<Team ID>.<bundle id>` the authData is for. */
  appId: string;
  clientDataHash: Buffer;
  aaguid?: Buffer;
  counter?: number;
  credentialId?: Buffer;
}

/** An attestation object as a device makes one (attestKey), with its key id and key pair. */
export async function attestKey(pki: AppAttestTestPki, b: AttestationBuild) {
  const keys = await generateEcKeyPair();
  const point = Buffer.from(await crypto.subtle.exportKey('raw', keys.publicKey));
  const keyId = sha256(point);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(b.counter ?? 0);
  const coseKey = cbor(
    new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, point.subarray(1, 33)],
      [-3, point.subarray(33)],
    ]),
  );
  const authData = Buffer.concat([
    sha256(Buffer.from(b.appId)),
    Buffer.from([0x40]),
    counter,
    b.aaguid ?? APP_ATTEST_AAGUID.production,
    Buffer.from([0, 32]),
    b.credentialId ?? keyId,
    coseKey,
  ]);
  const nonce = sha256(authData, b.clientDataHash);
  const now = Date.now();
  const cred = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${keyId.toString('hex')}, OU=AAA Certification`,
    issuer: pki.ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3 * DAY_MS),
    signingAlgorithm: SIGNING_ALG,
    publicKey: keys.publicKey,
    signingKey: pki.caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.Extension(NONCE_OID, false, Buffer.concat([Buffer.from('3024a1220420', 'hex'), nonce])),
    ],
  });
  const receipt = randomBytes(64);
  const attestationObject = cbor(
    new Map<string, unknown>([
      ['fmt', 'apple-appattest'],
      [
        'attStmt',
        new Map<string, unknown>([
          ['x5c', [new Uint8Array(cred.rawData), new Uint8Array(pki.ca.rawData)]],
          ['receipt', receipt],
        ]),
      ],
      ['authData', authData],
    ]),
  );
  return { attestationObject, keyId: keyId.toString('base64'), keys, receipt };
}

/** An assertion as the device signs one (generateAssertion) for `clientData`. */
export function appAttestAssertion(
  privateKey: CryptoKey,
  clientData: Buffer,
  counter: number,
  appId: string,
) {
  const authenticatorData = Buffer.alloc(37);
  sha256(Buffer.from(appId)).copy(authenticatorData);
  authenticatorData[32] = 0x40;
  authenticatorData.writeUInt32BE(counter, 33);
  const nonce = sha256(authenticatorData, sha256(clientData));
  const signature = sign('sha256', nonce, { key: KeyObject.from(privateKey), dsaEncoding: 'der' });
  return cbor(
    new Map<string, unknown>([
      ['signature', signature],
      ['authenticatorData', authenticatorData],
    ]),
  );
}
