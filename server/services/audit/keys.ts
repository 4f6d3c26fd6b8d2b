// Which key signs this backend's audit manifests and checkpoints, and where verifiers find every key
// that ever did: the file key (Ed25519, <dataDir>/secrets) by default, the token's key (ECDSA P-256,
// non-exportable) when an HSM is configured. Each signer's public key is published as
// <dataDir>/audit/keys/<key id>.pem — and in the WORM copy — so batches signed before a switch to
// the HSM still verify after it (docs/audit.md#keys).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../../fs/private-files.js';
import type { Hsm } from '../../pki/hsm/hsm.js';
import type { AuditArchive } from './archive.js';
import { loadOrCreateAuditSigningKey, type TrustedKey, trustedKeyFromPem } from './checkpoints.js';
import { type AuditSigner, fileAuditSigner } from './signer.js';

const keysDir = (dataDir: string) => join(dataDir, 'audit', 'keys');

/** The token's audit key when an HSM is given (made there on first use), else the file key. */
export async function loadAuditSigner(dataDir: string, hsm: Hsm | null): Promise<AuditSigner> {
  const signer = hsm ? await hsm.auditSigner(true) : fileAuditSigner(loadOrCreateAuditSigningKey(dataDir));
  ensurePrivateDir(keysDir(dataDir));
  writePrivateFile(join(keysDir(dataDir), `${signer.keyId}.pem`), signer.publicKeyPem);
  return signer;
}

/** Every audit key this backend has published (what `audit verify` trusts besides --key). */
export function publishedAuditKeys(dataDir: string): TrustedKey[] {
  const dir = keysDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^[0-9a-f]{64}\.pem$/.test(name))
    .map((name) => trustedKeyFromPem(readFileSync(join(dir, name), 'utf8')));
}

/** Puts the signer's public key into the WORM copy beside the batches it signs. */
export async function archiveAuditKey(archive: AuditArchive, signer: AuditSigner): Promise<void> {
  await archive.put(`keys/${signer.keyId}.pem`, Buffer.from(signer.publicKeyPem, 'utf8'));
}
