// The embedded PKI for one machine: a root, the int-tls / int-vpn / int-device intermediates, and the
// backend-api front door with a primary key (in use) and a backup key (pinned by clients, used on a
// pin roll). Certificates live under <dataDir>/pki with private permissions. Certificates are renewed
// with the SAME key when names change or expiry nears, so pins stay valid; pins only change on a roll.
//
// Where the keys live (describeKeyStorage): the root key is a file until `pki export-root` takes it
// offline; from then on the root certificate alone is here, and a missing intermediate can only come
// from the offline flow (server/pki/offline-root.ts). With an Hsm, new intermediate keys are made in
// the token; an intermediate whose key is still a file keeps working from it (reported as `file`)
// until the offline flow moves it. The backend-api TLS key stays a file: node:tls needs the PEM.
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import type { AuditSigner } from '../services/audit/signer.js';
import { loadOrCreateKey, loadPinnedCredential, type ServerCredential } from './credentials.js';
import type { Hsm } from './hsm/hsm.js';
import {
  createIntermediate,
  createRoot,
  type Issuer,
  intermediateCommonName,
  type SubjectNames,
} from './issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem, spkiOf } from './keys.js';
import { INTERMEDIATE_DAYS, INTERMEDIATES, type IntermediateName, PROFILES, ROOT_DAYS } from './profiles.js';
import { x509 } from './x509.js';

export type { ServerCredential } from './credentials.js';

export type CaKeyStorage = 'file' | 'pkcs11';

export interface EmbeddedPki {
  /** While the root key is offline, reading `root.keys` throws VIW_E_CONFIG (see offlineRootError). */
  readonly root: Issuer;
  readonly intermediates: Readonly<Record<IntermediateName, Issuer>>;
  /** Intermediates replaced by `pki install-intermediate`, kept while certificates they issued live. */
  readonly previous: Readonly<Partial<Record<IntermediateName, x509.X509Certificate>>>;
  readonly backendApi: ServerCredential;
  readonly rootPem: string;
  readonly storage: {
    readonly root: 'file' | 'offline';
    readonly intermediates: Readonly<Record<IntermediateName, CaKeyStorage>>;
    /** Whether the PKI was loaded with a PKCS#11 token. */
    readonly hsm: boolean;
  };
}

/** Each key's storage, for the start banner and `pki status`. */
export type KeyStorageReport = { readonly root: 'file' | 'offline'; readonly audit: CaKeyStorage } & Readonly<
  Record<IntermediateName, CaKeyStorage>
>;

/**
 * `audit`: the signer in use; without it, `pkcs11` when the PKI was loaded with a token (the audit key
 * belongs there whenever one is configured), else `file`.
 */
export function describeKeyStorage(pki: EmbeddedPki, audit?: Pick<AuditSigner, 'storage'>): KeyStorageReport {
  return {
    root: pki.storage.root,
    ...pki.storage.intermediates,
    audit: audit?.storage ?? (pki.storage.hsm ? 'pkcs11' : 'file'),
  };
}

export const pkiDir = (dataDir: string) => join(dataDir, 'pki');

export function offlineRootError(detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', {
    message: 'The root CA key is offline',
    details: [
      detail,
      'make the intermediate offline: `viworks-server pki intermediate-csr --name NAME --out FILE` here, ' +
        '`pki sign-intermediate` on the root machine, then `pki install-intermediate` here',
    ],
  });
}

async function loadRoot(dir: string): Promise<{ root: Issuer; online: boolean }> {
  const keyPem = readTextIfExists(join(dir, 'root.key'));
  const certPem = readTextIfExists(join(dir, 'root.crt'));
  if (!keyPem && certPem) {
    const cert = new x509.X509Certificate(certPem);
    const root: Issuer = {
      cert,
      get keys(): CryptoKeyPair {
        throw offlineRootError('the root key is not on this host (pki export-root)');
      },
    };
    return { root, online: false };
  }
  const keys = keyPem ? await keyPairFromPem(keyPem) : await generateEcKeyPair();
  if (!keyPem) writePrivateFile(join(dir, 'root.key'), await privateKeyToPem(keys.privateKey));
  if (certPem) {
    const cert = new x509.X509Certificate(certPem);
    await assertKeyMatches(cert, keys.publicKey, 'root');
    return { root: { cert, keys }, online: true };
  }
  const cert = await createRoot('ViWorkS Root CA', keys, ROOT_DAYS);
  writePrivateFile(join(dir, 'root.crt'), cert.toString('pem'));
  return { root: { cert, keys }, online: true };
}

export async function keyMatches(cert: x509.X509Certificate, publicKey: CryptoKey): Promise<boolean> {
  return Buffer.from(cert.publicKey.rawData).equals(await spkiOf(publicKey));
}

async function assertKeyMatches(cert: x509.X509Certificate, publicKey: CryptoKey, name: string) {
  if (!(await keyMatches(cert, publicKey))) {
    throw new ViworksError('VIW_E_KEYSTORE', {
      message: 'A CA certificate does not match its key',
      details: [`${name}: the key in <dataDir>/pki or the token is not the certificate's`],
    });
  }
}

interface LoadedCa {
  readonly issuer: Issuer;
  readonly storage: CaKeyStorage;
}

/** The key of an existing certificate: the token's or the file's, whichever the certificate names. */
async function keyOfCertificate(
  dir: string,
  name: IntermediateName,
  cert: x509.X509Certificate,
  hsm: Hsm | undefined,
): Promise<LoadedCa> {
  const tokenKeys = hsm ? await hsm.caKeyPair(name, false) : null;
  if (hsm && tokenKeys && (await keyMatches(cert, tokenKeys.publicKey))) {
    return { issuer: { cert, keys: tokenKeys, crypto: hsm.crypto }, storage: 'pkcs11' };
  }
  const filePem = readTextIfExists(join(dir, `${name}.key`));
  const fileKeys = filePem ? await keyPairFromPem(filePem) : null;
  if (fileKeys && (await keyMatches(cert, fileKeys.publicKey))) {
    return { issuer: { cert, keys: fileKeys }, storage: 'file' };
  }
  throw new ViworksError('VIW_E_KEYSTORE', {
    message: "A CA certificate's key is missing",
    details: [
      `${name}: the key of ${name}.crt is ${hsm ? `neither in token "${hsm.tokenLabel}" nor` : 'not'} in ${name}.key`,
      'if `pki install-intermediate` was interrupted, run it again with the same certificate',
    ],
  });
}

async function loadIntermediate(
  dir: string,
  name: IntermediateName,
  root: { root: Issuer; online: boolean },
  hsm: Hsm | undefined,
): Promise<LoadedCa> {
  const certPem = readTextIfExists(join(dir, `${name}.crt`));
  if (certPem) return keyOfCertificate(dir, name, new x509.X509Certificate(certPem), hsm);
  if (!root.online) throw offlineRootError(`${name}: no certificate in <dataDir>/pki/${name}.crt`);
  const tokenKeys = hsm ? await hsm.caKeyPair(name, true) : null;
  const keys = tokenKeys ?? (await loadOrCreateKey(join(dir, `${name}.key`))).keys;
  const cert = await createIntermediate(
    root.root,
    intermediateCommonName(name),
    keys.publicKey,
    INTERMEDIATE_DAYS,
  );
  writePrivateFile(join(dir, `${name}.crt`), cert.toString('pem'));
  return hsm && tokenKeys
    ? { issuer: { cert, keys, crypto: hsm.crypto }, storage: 'pkcs11' }
    : { issuer: { cert, keys }, storage: 'file' };
}

/** `<name>.prev.crt` files still valid now. */
function loadPrevious(
  dir: string,
  now = new Date(),
): Partial<Record<IntermediateName, x509.X509Certificate>> {
  const out: Partial<Record<IntermediateName, x509.X509Certificate>> = {};
  for (const name of INTERMEDIATES) {
    const pem = readTextIfExists(join(dir, `${name}.prev.crt`));
    if (!pem) continue;
    const cert = new x509.X509Certificate(pem);
    if (cert.notAfter > now) out[name] = cert;
  }
  return out;
}

export interface LoadPkiOptions {
  /** The PKCS#11 token holding (and making) the intermediates' keys. */
  readonly hsm?: Hsm;
}

export async function loadOrCreatePki(
  dataDir: string,
  backendNames: SubjectNames,
  opts: LoadPkiOptions = {},
): Promise<EmbeddedPki> {
  const dir = pkiDir(dataDir);
  ensurePrivateDir(dir);
  const root = await loadRoot(dir);
  const intermediates = {} as Record<IntermediateName, Issuer>;
  const storage = {} as Record<IntermediateName, CaKeyStorage>;
  for (const name of INTERMEDIATES) {
    const ca = await loadIntermediate(dir, name, root, opts.hsm);
    intermediates[name] = ca.issuer;
    storage[name] = ca.storage;
  }
  const backendApi = await loadPinnedCredential({
    dir,
    base: 'backend-api',
    issuer: intermediates['int-tls'],
    profile: PROFILES['backend-api'],
    names: backendNames,
  });
  return {
    root: root.root,
    intermediates,
    previous: loadPrevious(dir),
    backendApi,
    rootPem: root.root.cert.toString('pem'),
    storage: { root: root.online ? 'file' : 'offline', intermediates: storage, hsm: opts.hsm !== undefined },
  };
}

export interface CaStatus {
  readonly name: 'root' | IntermediateName;
  /** Null when the certificate is missing. */
  readonly subject: string | null;
  readonly serial: string | null;
  readonly not_after: string | null;
  readonly key_storage: 'file' | 'pkcs11' | 'offline' | 'missing';
  /** A key made by `pki intermediate-csr`, waiting for its certificate. */
  readonly pending_key: CaKeyStorage | null;
  /** The certificate `pki install-intermediate` replaced, while it is valid. */
  readonly previous: { readonly serial: string; readonly not_after: string } | null;
}

/** What `pki status --json` prints (versioned). Reading it creates nothing. */
export interface PkiStatus {
  readonly v: 1;
  readonly data_dir: string;
  readonly hsm: {
    readonly token_label: string;
    readonly manufacturer: string;
    readonly model: string;
  } | null;
  readonly cas: readonly CaStatus[];
  readonly audit: CaKeyStorage | 'missing';
}

const certSummary = (cert: x509.X509Certificate | undefined) => ({
  subject: cert?.subject ?? null,
  serial: cert?.serialNumber ?? null,
  not_after: cert?.notAfter.toISOString() ?? null,
});

async function intermediateStatus(
  dir: string,
  name: IntermediateName,
  hsm: Hsm | undefined,
): Promise<CaStatus> {
  const pem = readTextIfExists(join(dir, `${name}.crt`));
  const cert = pem ? new x509.X509Certificate(pem) : undefined;
  const storage = cert
    ? await keyOfCertificate(dir, name, cert, hsm).then(
        (ca) => ca.storage,
        () => 'missing' as const,
      )
    : 'missing';
  const pendingInToken = hsm ? (await hsm.pendingCaKeyPair(name, false)) !== null : false;
  const pendingFile = readTextIfExists(join(dir, `${name}.next.key`)) !== undefined;
  const previous = loadPrevious(dir)[name];
  return {
    name,
    ...certSummary(cert),
    key_storage: storage,
    pending_key: pendingInToken ? 'pkcs11' : pendingFile ? 'file' : null,
    previous: previous ? { serial: previous.serialNumber, not_after: previous.notAfter.toISOString() } : null,
  };
}

/** `audit`: where the audit-signing key is, as the caller (which knows the audit service) found it. */
export async function pkiStatus(
  dataDir: string,
  opts: LoadPkiOptions & { readonly audit: PkiStatus['audit'] },
): Promise<PkiStatus> {
  const dir = pkiDir(dataDir);
  const rootPem = readTextIfExists(join(dir, 'root.crt'));
  const rootKey = readTextIfExists(join(dir, 'root.key')) !== undefined;
  const root: CaStatus = {
    name: 'root',
    ...certSummary(rootPem ? new x509.X509Certificate(rootPem) : undefined),
    key_storage: rootKey ? 'file' : rootPem ? 'offline' : 'missing',
    pending_key: null,
    previous: null,
  };
  const cas: CaStatus[] = [root];
  for (const name of INTERMEDIATES) cas.push(await intermediateStatus(dir, name, opts.hsm));
  const described = opts.hsm ? await opts.hsm.describe() : null;
  return {
    v: 1,
    data_dir: dataDir,
    hsm: described
      ? { token_label: described.tokenLabel, manufacturer: described.manufacturer, model: described.model }
      : null,
    cas,
    audit: opts.audit,
  };
}
