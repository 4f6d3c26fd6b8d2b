// Verifies a device-signed request (core/crypto/request-signing.ts): headers well formed, the key
// id names a known key, the signature covers method + path + timestamp + nonce + body, the clock
// is within the window, and the nonce was never seen before (kept in the shared store for the whole
// window, so a captured request cannot be replayed on any instance).
import type { FastifyRequest } from 'fastify';
import {
  readSignatureHeaders,
  SIGNATURE_WINDOW_MS,
  verifyRequestSignature,
} from '../../core/crypto/request-signing.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { KvStore } from '../kv/kv-store.js';

export interface SignedBy<K> {
  readonly keyId: string;
  readonly key: K;
}

export async function verifySignedRequest<K extends { readonly publicKey: Uint8Array }>(
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
  );
  const fresh = await kv.setIfAbsent(`nonce:${claims.keyId}:${claims.nonce}`, '1', 2 * SIGNATURE_WINDOW_MS);
  if (!fresh) throw new ViworksError('VIW_E_SIGNATURE_INVALID', { details: ['replayed request'] });
  return { keyId: claims.keyId, key };
}
