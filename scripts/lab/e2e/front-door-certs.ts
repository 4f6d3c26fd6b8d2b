// Front-door certificates for the pinning tests, issued by the lab backend's own int-tls CA (so the
// chain is valid and only the pin can refuse them): one on a fresh key, one on the gateway's
// pre-generated backup key (whose pin every bootstrap already carries).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEndEntity, type Issuer } from '../../../server/pki/issue.js';
import { generateEcKeyPair, keyPairFromPem, privateKeyToPem } from '../../../server/pki/keys.js';
import { days, PROFILES } from '../../../server/pki/profiles.js';
import { x509 } from '../../../server/pki/x509.js';

export interface FrontDoorCert {
  /** Leaf then int-tls, as stunnel serves it. */
  readonly chainPem: string;
  readonly keyPem: string;
}

async function intTls(dataDir: string): Promise<Issuer> {
  const pki = join(dataDir, 'pki');
  return {
    cert: new x509.X509Certificate(readFileSync(join(pki, 'int-tls.crt'), 'utf8')),
    keys: await keyPairFromPem(readFileSync(join(pki, 'int-tls.key'), 'utf8')),
  };
}

async function issue(dataDir: string, fqdn: string, keys: CryptoKeyPair): Promise<FrontDoorCert> {
  const issuer = await intTls(dataDir);
  const leaf = await createEndEntity(
    issuer,
    PROFILES['tls-gateway'],
    { commonName: 'tls-gateway', dns: [fqdn] },
    keys.publicKey,
    days(1),
  );
  return {
    chainPem: `${leaf.toString('pem').trimEnd()}\n${issuer.cert.toString('pem').trimEnd()}\n`,
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

export async function certOnFreshKey(dataDir: string, fqdn: string): Promise<FrontDoorCert> {
  return issue(dataDir, fqdn, await generateEcKeyPair());
}

export async function certOnBackupKey(dataDir: string, fqdn: string): Promise<FrontDoorCert> {
  const pem = readFileSync(join(dataDir, 'pki', 'gateways', 'default', 'tls-gateway.backup.key'), 'utf8');
  return issue(dataDir, fqdn, await keyPairFromPem(pem));
}
