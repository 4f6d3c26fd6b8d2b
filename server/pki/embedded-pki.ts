// The embedded PKI for one machine: a root, the int-tls / int-vpn / int-device intermediates, and the
// backend-api front door with a primary key (in use) and a backup key (pinned by clients, used on a
// pin roll). Everything lives under <dataDir>/pki with private permissions. Certificates are renewed
// with the SAME key when names change or expiry nears, so pins stay valid; pins only change on a roll.
import { join } from 'node:path';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import { loadOrCreateKey, loadPinnedCredential, type ServerCredential } from './credentials.js';
import { createIntermediate, createRoot, type Issuer, type SubjectNames } from './issue.js';
import { INTERMEDIATE_DAYS, INTERMEDIATES, type IntermediateName, PROFILES, ROOT_DAYS } from './profiles.js';
import { x509 } from './x509.js';

export type { ServerCredential } from './credentials.js';

export interface EmbeddedPki {
  readonly root: Issuer;
  readonly intermediates: Readonly<Record<IntermediateName, Issuer>>;
  readonly backendApi: ServerCredential;
  readonly rootPem: string;
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
  const backendApi = await loadPinnedCredential({
    dir,
    base: 'backend-api',
    issuer: intermediates['int-tls'],
    profile: PROFILES['backend-api'],
    names: backendNames,
  });
  return { root, intermediates, backendApi, rootPem: root.cert.toString('pem') };
}
