// Server credentials kept as files under a private directory: `<base>.key` (in use), `<base>.crt`,
// and for pinned credentials `<base>.backup.key` (pinned by clients, never used until a roll).
// Certificates are renewed with the SAME key when names change, expiry nears, or the certificate no
// longer matches the key (e.g. after a roll was interrupted), so pins change only on a roll.
//
// Pin roll (rollPinnedCredential): the backup key becomes the primary (a new certificate is issued
// on it), a NEW backup key is generated, the old primary key is deleted. Clients that carried the
// old backup pin accept the new primary at once; they learn the new backup pin from their next
// bootstrap (gateway) or client update (backend). Every write is atomic, and each intermediate state
// heals on the next load: primary == backup → a new backup is made; certificate ≠ key → re-issued.
// A certificate the current intermediate did not sign (a new one was installed) is re-issued too.
import { createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { join } from 'node:path';
import { type PinSet, spkiPinFromCertificate, spkiPinFromKey } from '../../core/crypto/pins.js';
import { readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import { createEndEntity, type Issuer, type SubjectNames } from './issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from './keys.js';
import { days, type EndEntityProfile } from './profiles.js';

export interface ServerCredential {
  readonly certPem: string;
  /** Leaf + issuing intermediate, as a TLS server sends it. */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly pins: PinSet;
}

export interface CredentialSpec {
  /** A private (0700) directory. */
  readonly dir: string;
  /** File stem: `<base>.key`, `<base>.crt`, `<base>.backup.key`. */
  readonly base: string;
  readonly issuer: Issuer;
  readonly profile: EndEntityProfile;
  readonly names: SubjectNames;
}

const RENEW_BEFORE_MS = days(30);

export async function loadOrCreateKey(path: string): Promise<{ keys: CryptoKeyPair; pem: string }> {
  const existing = readTextIfExists(path);
  if (existing) return { keys: await keyPairFromPem(existing), pem: existing };
  const keys = await generateEcKeyPair();
  const pem = await privateKeyToPem(keys.privateKey);
  writePrivateFile(path, pem);
  return { keys, pem };
}

const pinOfKeyPem = (pem: string) => spkiPinFromKey(createPublicKey(pem));

/** Signed by the issuer's current certificate (after `pki install-intermediate` it no longer is). */
function issuedBy(cert: NodeX509, issuer: Issuer): boolean {
  const issuerCert = new NodeX509(issuer.cert.toString('pem'));
  return cert.checkIssued(issuerCert) && cert.verify(issuerCert.publicKey);
}

function stillGood(certPem: string, names: SubjectNames, keyPem: string, issuer: Issuer): boolean {
  const cert = new NodeX509(certPem);
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  if (spkiPinFromCertificate(cert) !== pinOfKeyPem(keyPem)) return false;
  if (!issuedBy(cert, issuer)) return false;
  const want = [
    ...(names.dns ?? []).map((d) => `DNS:${d}`),
    ...(names.ips ?? []).map((ip) => `IP Address:${ip}`),
  ];
  const have = new Set((cert.subjectAltName ?? '').split(', ').filter(Boolean));
  return (
    want.every((w) => have.has(w)) &&
    have.size === want.length &&
    cert.subject.split('\n').includes(`CN=${names.commonName}`)
  );
}

async function issueOn(spec: CredentialSpec, publicKey: CryptoKey): Promise<string> {
  const cert = await createEndEntity(
    spec.issuer,
    spec.profile,
    spec.names,
    publicKey,
    days(spec.profile.maxDays),
  );
  const pem = cert.toString('pem');
  writePrivateFile(join(spec.dir, `${spec.base}.crt`), pem);
  return pem;
}

/** A server credential without a backup key (e.g. the OpenVPN server certificate). */
export async function loadServerCredential(spec: CredentialSpec): Promise<Omit<ServerCredential, 'pins'>> {
  const primary = await loadOrCreateKey(join(spec.dir, `${spec.base}.key`));
  let certPem = readTextIfExists(join(spec.dir, `${spec.base}.crt`));
  if (!certPem || !stillGood(certPem, spec.names, primary.pem, spec.issuer)) {
    certPem = await issueOn(spec, primary.keys.publicKey);
  }
  return {
    certPem,
    chainPem: `${certPem.trimEnd()}\n${spec.issuer.cert.toString('pem').trimEnd()}\n`,
    keyPem: primary.pem,
  };
}

/** A server credential with a primary and a backup key; `pins` is what clients carry. */
export async function loadPinnedCredential(spec: CredentialSpec): Promise<ServerCredential> {
  const backupPath = join(spec.dir, `${spec.base}.backup.key`);
  const cred = await loadServerCredential(spec);
  let backup = readTextIfExists(backupPath);
  if (!backup || pinOfKeyPem(backup) === pinOfKeyPem(cred.keyPem)) {
    backup = (await loadFreshKey(backupPath)).pem;
  }
  return {
    ...cred,
    pins: { primary_b64: spkiPinFromCertificate(cred.certPem), backup_b64: pinOfKeyPem(backup) },
  };
}

async function loadFreshKey(path: string): Promise<{ pem: string }> {
  const pem = await privateKeyToPem((await generateEcKeyPair()).privateKey);
  writePrivateFile(path, pem);
  return { pem };
}

export interface PinRollResult {
  readonly previous: PinSet;
  readonly pins: PinSet;
}

/** Rolls a pinned credential (see the header). The running server presents the new key after a restart. */
export async function rollPinnedCredential(spec: CredentialSpec): Promise<PinRollResult> {
  const before = await loadPinnedCredential(spec);
  const backupPath = join(spec.dir, `${spec.base}.backup.key`);
  const backupPem = readTextIfExists(backupPath)!;
  const backupKeys = await keyPairFromPem(backupPem);
  // 1. the backup key becomes the primary; 2. a certificate on it; 3. a new backup key.
  writePrivateFile(join(spec.dir, `${spec.base}.key`), backupPem);
  await issueOn(spec, backupKeys.publicKey);
  await loadFreshKey(backupPath);
  const after = await loadPinnedCredential(spec);
  return { previous: before.pins, pins: after.pins };
}
