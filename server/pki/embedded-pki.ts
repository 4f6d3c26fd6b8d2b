// The embedded PKI for one machine: a root, the int-tls / int-vpn / int-device intermediates, and the
// backend-api front door with a primary key (in use) and a backup key (pinned by clients, used on a
// pin roll). Everything lives under <dataDir>/pki with private permissions. Certificates are renewed
// with the SAME key when names change or expiry nears, so pins stay valid; pins only change on a roll.
import { createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { join } from 'node:path';
import { type PinSet, spkiPinFromCertificate, spkiPinFromKey } from '../../core/crypto/pins.js';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import { createEndEntity, createIntermediate, createRoot, type Issuer, type SubjectNames } from './issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from './keys.js';
import {
  days,
  INTERMEDIATE_DAYS,
  INTERMEDIATES,
  type IntermediateName,
  PROFILES,
  ROOT_DAYS,
} from './profiles.js';
import { x509 } from './x509.js';

export interface ServerCredential {
  readonly certPem: string;
  /** Leaf + issuing intermediate, as a TLS server sends it. */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly pins: PinSet;
}

export interface EmbeddedPki {
  readonly root: Issuer;
  readonly intermediates: Readonly<Record<IntermediateName, Issuer>>;
  readonly backendApi: ServerCredential;
  readonly rootPem: string;
}

const RENEW_BEFORE_MS = days(30);

async function loadOrCreateKey(path: string): Promise<{ keys: CryptoKeyPair; pem: string }> {
  const existing = readTextIfExists(path);
  if (existing) return { keys: await keyPairFromPem(existing), pem: existing };
  const keys = await generateEcKeyPair();
  const pem = await privateKeyToPem(keys.privateKey);
  writePrivateFile(path, pem);
  return { keys, pem };
}

async function loadCa(
  dir: string,
  name: string,
  create: (keys: CryptoKeyPair) => Promise<x509.X509Certificate>,
) {
  const { keys } = await loadOrCreateKey(join(dir, `${name}.key`));
  const certPem = readTextIfExists(join(dir, `${name}.crt`));
  if (certPem) return { cert: new x509.X509Certificate(certPem), keys };
  const cert = await create(keys);
  writePrivateFile(join(dir, `${name}.crt`), cert.toString('pem'));
  return { cert, keys };
}

function coversNames(certPem: string, names: SubjectNames): boolean {
  const cert = new NodeX509(certPem);
  if (cert.validTo && Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  const san = cert.subjectAltName ?? '';
  const want = [
    ...(names.dns ?? []).map((d) => `DNS:${d}`),
    ...(names.ips ?? []).map((ip) => `IP Address:${ip}`),
  ];
  const have = new Set(san.split(', '));
  return want.every((w) => have.has(w)) && have.size === want.length;
}

async function loadBackendApi(dir: string, issuer: Issuer, names: SubjectNames): Promise<ServerCredential> {
  const primary = await loadOrCreateKey(join(dir, 'backend-api.key'));
  const backup = await loadOrCreateKey(join(dir, 'backend-api.backup.key'));
  let certPem = readTextIfExists(join(dir, 'backend-api.crt'));
  if (!certPem || !coversNames(certPem, names)) {
    const p = PROFILES['backend-api'];
    const cert = await createEndEntity(issuer, p, names, primary.keys.publicKey, days(p.maxDays));
    certPem = cert.toString('pem');
    writePrivateFile(join(dir, 'backend-api.crt'), certPem);
  }
  return {
    certPem,
    chainPem: `${certPem.trimEnd()}\n${issuer.cert.toString('pem').trimEnd()}\n`,
    keyPem: primary.pem,
    pins: {
      primary_b64: spkiPinFromCertificate(certPem),
      backup_b64: spkiPinFromKey(createPublicKey(backup.pem)),
    },
  };
}

export async function loadOrCreatePki(dataDir: string, backendNames: SubjectNames): Promise<EmbeddedPki> {
  const dir = join(dataDir, 'pki');
  ensurePrivateDir(dir);
  const root = await loadCa(dir, 'root', (keys) => createRoot('ViWorkS Root CA', keys, ROOT_DAYS));
  const intermediates = {} as Record<IntermediateName, Issuer>;
  for (const name of INTERMEDIATES) {
    intermediates[name] = await loadCa(dir, name, (keys) =>
      createIntermediate(root, `ViWorkS ${name}`, keys.publicKey, INTERMEDIATE_DAYS),
    );
  }
  const backendApi = await loadBackendApi(dir, intermediates['int-tls'], backendNames);
  return { root, intermediates, backendApi, rootPem: root.cert.toString('pem') };
}
