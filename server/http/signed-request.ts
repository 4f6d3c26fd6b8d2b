// Verifies a device-signed request (core/crypto/request-signing.ts): headers well formed, the key
// id names a known key, the signature covers method + path + timestamp + nonce + body, the clock
// is within the window, and the nonce was never seen before (kept in the shared store for the whole
// window, so a captured request cannot be replayed on any instance).
import type { FastifyRequest } from 'fastify';
import {
  readSignatureHeaders,
  SIGNATURE_WINDOW_MS,
  type SignatureAlg,
  verifyRequestSignature,
} from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { KvStore } from '../kv/kv-store.js';

export interface SignedBy<K> {
  readonly keyId: string;
  readonly key: K;
}

/** The enrolled key a key id names, and its algorithm (default Ed25519; a TPM desktop's is ECDSA P-256). */
export interface VerificationKey {
  readonly publicKey: Uint8Array;
  readonly alg?: SignatureAlg;
}

export async function verifySignedRequest<K extends VerificationKey>(
  request: FastifyRequest,
  kv: KvStore,
  lookup: (keyId: string) => Promise<K | null>,
  now: number = Date.now(),
): Promise<SignedBy<K>> {
  const claims = readSignatureHeaders(request.headers);
  const key = await lookup(claims.keyId);
  if (!key) throw new ViworksError('VIW_E_SIGNATURE_INVALID');
  const path = request.url;
  verifyRequestSignature(
    claims,
    key.publicKey,
    request.method,
    path,
    request.rawBody ?? Buffer.alloc(0),
    now,
    key.alg ?? 'ed25519',
  );
  const fresh = await kv.setIfAbsent(`nonce:${claims.keyId}:${claims.nonce}`, '1', 2 * SIGNATURE_WINDOW_MS);
  if (!fresh) throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['replayed request'] });
  return { keyId: claims.keyId, key };
}
