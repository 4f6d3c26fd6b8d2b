import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import {
  generateSigningKeyPair,
  readSignatureHeaders,
  SIG_HEADERS,
  signRequest,
  verifyRequestSignature,
} from './request-signing.js';

const body = Buffer.from('{"username":"alice"}');
const bad = (e: unknown) => isViworksError(e, 'VIW_E_SIGNATURE_INVALID');

describe('device request signing', () => {
  const keys = generateSigningKeyPair();
  const now = 1_795_000_000_000;
  const headers = signRequest('d-abc123', keys.secretKey, 'POST', '/auth/login', body, now);

  it('verifies an untouched request', () => {
    const claims = readSignatureHeaders({ ...headers });
    assert.equal(claims.keyId, 'd-abc123');
    verifyRequestSignature(claims, keys.publicKey, 'POST', '/auth/login', body, now + 5000);
  });

  it('refuses any change to method, path, body, timestamp or nonce, and another key', () => {
    const claims = readSignatureHeaders({ ...headers });
    assert.throws(() => verifyRequestSignature(claims, keys.publicKey, 'PUT', '/auth/login', body, now), bad);
    assert.throws(
      () => verifyRequestSignature(claims, keys.publicKey, 'POST', '/auth/verify', body, now),
      bad,
    );
    assert.throws(
      () =>
        verifyRequestSignature(
          claims,
          keys.publicKey,
          'POST',
          '/auth/login',
          Buffer.from('{"username":"bob"}'),
          now,
        ),
      bad,
    );
    assert.throws(
      () =>
        verifyRequestSignature(
          { ...claims, timestampMs: now + 1 },
          keys.publicKey,
          'POST',
          '/auth/login',
          body,
          now,
        ),
      bad,
    );
    assert.throws(
      () =>
        verifyRequestSignature(
          { ...claims, nonce: `${claims.nonce}x` },
          keys.publicKey,
          'POST',
          '/auth/login',
          body,
          now,
        ),
      bad,
    );
    assert.throws(
      () =>
        verifyRequestSignature(claims, generateSigningKeyPair().publicKey, 'POST', '/auth/login', body, now),
      bad,
    );
  });

  it('agrees with tweetnacl, the signer, on valid and invalid signatures', async () => {
    const nacl = (await import('tweetnacl')).default;
    for (let i = 0; i < 20; i++) {
      const k = generateSigningKeyPair();
      const b = Buffer.from(`body-${i}`);
      const h = signRequest('d-abc123', k.secretKey, 'POST', '/x', b, now);
      const c = readSignatureHeaders({ ...h });
      verifyRequestSignature(c, k.publicKey, 'POST', '/x', b, now);
      const flipped = Uint8Array.from(c.signature);
      flipped[i % 64]! ^= 1;
      assert.throws(
        () => verifyRequestSignature({ ...c, signature: flipped }, k.publicKey, 'POST', '/x', b, now),
        bad,
      );
      assert.equal(nacl.sign.detached.verify(Buffer.from('x'), flipped, k.publicKey), false);
    }
  });

  it('refuses stale or future timestamps beyond 60 s', () => {
    const claims = readSignatureHeaders({ ...headers });
    assert.throws(
      () => verifyRequestSignature(claims, keys.publicKey, 'POST', '/auth/login', body, now + 61_000),
      bad,
    );
    assert.throws(
      () => verifyRequestSignature(claims, keys.publicKey, 'POST', '/auth/login', body, now - 61_000),
      bad,
    );
  });

  it('refuses missing or malformed headers', () => {
    for (const drop of Object.values(SIG_HEADERS)) {
      const h: Record<string, string> = { ...headers };
      delete h[drop];
      assert.throws(() => readSignatureHeaders(h), bad, drop);
    }
    assert.throws(() => readSignatureHeaders({ ...headers, [SIG_HEADERS.signature]: 'AAAA' }), bad);
    assert.throws(() => readSignatureHeaders({ ...headers, [SIG_HEADERS.keyId]: 'd/../x' }), bad);
  });
});
