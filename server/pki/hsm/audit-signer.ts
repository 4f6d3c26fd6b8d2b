// The audit trail's signer inside the token (server/services/audit/signer.ts): ECDSA P-256 over
// SHA-256, the signature as IEEE P1363 r‖s — what WebCrypto's ECDSA returns and what
// verifyAuditSignature('ecdsa-p256-sha256', …) checks.
import { createPublicKey } from 'node:crypto';
import { type AuditSigner, keyIdOf } from '../../services/audit/signer.js';
import type { TokenKeyPair } from './token-keys.js';

const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** `crypto` must be the token's serialized WebCrypto that holds keys.privateKey. */
export function tokenAuditSigner(keys: TokenKeyPair, crypto: Crypto): AuditSigner {
  const publicKey = createPublicKey({ key: keys.spki, format: 'der', type: 'spki' });
  return {
    keyId: keyIdOf(publicKey),
    algorithm: 'ecdsa-p256-sha256',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    storage: 'pkcs11',
    sign: async (data) => Buffer.from(await crypto.subtle.sign(ECDSA_SHA256, keys.privateKey, data)),
  };
}
