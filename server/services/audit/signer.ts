// Who signs the audit trail's manifests and checkpoints (docs/audit.md#keys): an Ed25519 key in a
// file under <dataDir>/secrets (the embedded default), or an ECDSA P-256 key inside a PKCS#11 token
// that never leaves it (server/pki/hsm). Verifiers need only the public key, the algorithm and the
// key id, which every manifest names.
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export type AuditSignatureAlgorithm = 'ed25519' | 'ecdsa-p256-sha256';

export interface AuditSigner {
  /** Hex SHA-256 of the public key's SPKI DER. */
  readonly keyId: string;
  readonly algorithm: AuditSignatureAlgorithm;
  /** SPKI PEM, published beside the audit stream for verifiers. */
  readonly publicKeyPem: string;
  /** Where the private key lives, as `status`/health report it. */
  readonly storage: 'file' | 'pkcs11';
  /** ed25519: the 64-byte signature; ecdsa-p256-sha256: IEEE P1363 r‖s (64 bytes), over SHA-256 of data. */
  sign(data: Uint8Array): Promise<Buffer>;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** An Ed25519 key pair held in this process (loadOrCreateAuditSigningKey in checkpoints.ts). */
export function fileAuditSigner(key: {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}): AuditSigner {
  return {
    keyId: keyIdOf(key.publicKey),
    algorithm: 'ed25519',
    publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    storage: 'file',
    sign: async (data) => sign(null, data, key.privateKey),
  };
}

/** True when sig is a valid signature of data by publicKeyPem under algorithm; never throws. */
export function verifyAuditSignature(
  algorithm: AuditSignatureAlgorithm,
  publicKeyPem: string,
  data: Uint8Array,
  sig: Uint8Array,
): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (algorithm === 'ed25519') return verify(null, data, key, sig);
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
