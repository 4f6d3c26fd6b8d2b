// TLS material for tests of mutual-TLS peers (the syslog receiver, node:tls test servers), minted with
// the embedded PKI's issuance code (server/pki/issue.ts) and written as PEM files (0600): a CA, a
// server certificate, a client certificate from the same CA, and a client from a foreign CA with the
// same name (which must be refused however plausible its name looks).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEndEntity, createRoot, type Issuer } from '../../server/pki/issue.js';
import { generateEcKeyPair, privateKeyToPem } from '../../server/pki/keys.js';
import { days, PROFILES } from '../../server/pki/profiles.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPki {
  /** The CA both sides trust (PEM file). */
  readonly caFile: string;
  readonly server: TlsFiles;
  readonly client: TlsFiles;
  /** Same client name, another CA. */
  readonly foreignClient: TlsFiles;
  readonly serverName: string;
  readonly clientName: string;
}

async function newCa(commonName: string): Promise<Issuer> {
  const keys = await generateEcKeyPair();
  return { cert: await createRoot(commonName, keys, 2), keys };
}

async function issueTo(
  dir: string,
  base: string,
  issuer: Issuer,
  profile: 'backend-api' | 'device-client',
  name: string,
): Promise<TlsFiles> {
  const keys = await generateEcKeyPair();
  const cert = await createEndEntity(
    issuer,
    PROFILES[profile],
    { commonName: name, dns: [name] },
    keys.publicKey,
    days(1),
  );
  const certFile = join(dir, `${base}.pem`);
  const keyFile = join(dir, `${base}.key`);
  writeFileSync(certFile, cert.toString('pem'), { mode: 0o600 });
  writeFileSync(keyFile, await privateKeyToPem(keys.privateKey), { mode: 0o600 });
  return { certFile, keyFile };
}

/** Writes the material into `dir` (which the caller owns and removes). */
export async function createTestPki(
  dir: string,
  names: { serverName?: string; clientName?: string } = {},
): Promise<TestPki> {
  const serverName = names.serverName ?? 'siem.lab.viworks.test';
  const clientName = names.clientName ?? 'viworks-server.lab.viworks.test';
  const ca = await newCa('ViWorkS Test CA');
  const foreign = await newCa('Foreign Test CA');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert.toString('pem'), { mode: 0o600 });
  return {
    caFile,
    server: await issueTo(dir, 'server', ca, 'backend-api', serverName),
    client: await issueTo(dir, 'client', ca, 'device-client', clientName),
    foreignClient: await issueTo(dir, 'foreign-client', foreign, 'device-client', clientName),
    serverName,
    clientName,
  };
}
