// Certificate issuance for the embedded PKI. Profiles set key usages and validity ceilings; callers
// ask for names and a lifetime and cannot widen either. An issuer's private key is a Node WebCrypto
// key (a file) or a key inside a PKCS#11 token (server/pki/hsm), which signs only through the
// token's WebCrypto: `issuer.crypto`. Public keys are always Node's, so identifiers and checks
// never need the token.
import { randomBytes, webcrypto } from 'node:crypto';
import { SIGNING_ALG, spkiOf } from './keys.js';
import { days, type EndEntityProfile, type IntermediateName } from './profiles.js';
import { x509 } from './x509.js';

export interface Issuer {
  readonly cert: x509.X509Certificate;
  /** publicKey: a Node WebCrypto key; privateKey: Node's, or a token key signing through `crypto`. */
  readonly keys: CryptoKeyPair;
  /** The WebCrypto that signs with keys.privateKey (a PKCS#11 token's); absent: Node's own. */
  readonly crypto?: Crypto;
}

/** The provider that signs with the issuer's key. */
export function signingCrypto(issuer: Pick<Issuer, 'crypto'>): Crypto {
  return issuer.crypto ?? (webcrypto as unknown as Crypto);
}

export interface SubjectNames {
  readonly commonName: string;
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
}

/** The common name of an intermediate's certificate (its subject: `CN=ViWorkS int-tls, O=ViWorkS`). */
export const intermediateCommonName = (name: IntermediateName): string => `ViWorkS ${name}`;

/** 128-bit positive random serial, hex (RFC 5280 allows up to 20 octets). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

/** X.500 names are built from validated parts only, never from raw caller strings with separators. */
export function dn(commonName: string): string {
  if (!/^[A-Za-z0-9 ._@-]{1,64}$/.test(commonName)) throw new RangeError('invalid common name');
  return `CN=${commonName}, O=ViWorkS`;
}

export async function createRoot(commonName: string, keys: CryptoKeyPair, lifetimeDays: number) {
  const now = new Date();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: dn(commonName),
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + days(lifetimeDays)),
    signingAlgorithm: SIGNING_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

export async function createIntermediate(
  issuer: Issuer,
  commonName: string,
  publicKey: CryptoKey,
  lifetimeDays: number,
) {
  const now = new Date();
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: dn(commonName),
      issuer: issuer.cert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(Math.min(now.getTime() + days(lifetimeDays), issuer.cert.notAfter.getTime())),
      signingAlgorithm: SIGNING_ALG,
      // As SPKI bytes: a token's WebCrypto cannot export a Node key.
      publicKey: await spkiOf(publicKey),
      signingKey: issuer.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ],
    },
    signingCrypto(issuer),
  );
}

export async function createEndEntity(
  issuer: Issuer,
  profile: EndEntityProfile,
  names: SubjectNames,
  publicKey: CryptoKey,
  lifetimeMs: number,
  serialNumber: string = randomSerial(),
) {
  if (!(lifetimeMs > 0) || lifetimeMs > days(profile.maxDays))
    throw new RangeError('lifetime outside the profile');
  const now = new Date();
  const altNames = [
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  return x509.X509CertificateGenerator.create(
    {
      serialNumber,
      subject: dn(names.commonName),
      issuer: issuer.cert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(Math.min(now.getTime() + lifetimeMs, issuer.cert.notAfter.getTime())),
      signingAlgorithm: SIGNING_ALG,
      publicKey: await spkiOf(publicKey),
      signingKey: issuer.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(profile.keyUsages, true),
        new x509.ExtendedKeyUsageExtension([...profile.extendedKeyUsages], false),
        ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames, false)] : []),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ],
    },
    signingCrypto(issuer),
  );
}
