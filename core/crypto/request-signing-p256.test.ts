// Request signing with ECDSA P-256 / SHA-256 (a TPM device's key), here with a software key through
// the same external-signer entry point the TPM store uses.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import {
  generateSigningKeyPair,
  readSignatureHeaders,
  signRequest,
  signRequestWith,
  verifyRequestSignature,
} from './request-signing.js';

const body = Buffer.from('{"username":"alice"}');
const now = 1_795_000_000_000;
const bad = (e: unknown) => isViworksError(e, 'VIW_E_SIGNATURE_INVALID');
const P256 = 'ecdsa-p256-sha256' as const;

function p256(): { privateKey: KeyObject; point: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return { privateKey, point: new Uint8Array(point) };
}

const signer = (key: KeyObject) => async (text: Uint8Array) =>
  new Uint8Array(sign('sha256', text, { key, dsaEncoding: 'ieee-p1363' }));

describe('device request signing: ECDSA P-256', () => {
  const key = p256();

  it('an external signer produces headers that verify with the P-256 key', async () => {
    const headers = await signRequestWith('d-tpm', signer(key.privateKey), 'POST', '/auth/login', body, now);
    const claims = readSignatureHeaders({ ...headers });
    assert.equal(claims.signature.length, 64);
    verifyRequestSignature(claims, key.point, 'POST', '/auth/login', body, now + 5000, P256);
  });

  it('refuses changes, another key, and the key under the wrong algorithm', async () => {
    const claims = readSignatureHeaders({
      ...(await signRequestWith('d-tpm', signer(key.privateKey), 'POST', '/auth/login', body, now)),
    });
    assert.throws(
      () => verifyRequestSignature(claims, key.point, 'PUT', '/auth/login', body, now, P256),
      bad,
    );
    assert.throws(
      () => verifyRequestSignature(claims, key.point, 'POST', '/auth/login', Buffer.from('x'), now, P256),
      bad,
    );
    assert.throws(
      () => verifyRequestSignature(claims, p256().point, 'POST', '/auth/login', body, now, P256),
      bad,
    );
    assert.throws(() => verifyRequestSignature(claims, key.point, 'POST', '/auth/login', body, now), bad);
  });

  it('refuses an unusable key: not a point, compressed, off the curve', async () => {
    const claims = readSignatureHeaders({
      ...(await signRequestWith('d-tpm', signer(key.privateKey), 'GET', '/x', body, now)),
    });
    const off = Uint8Array.from(key.point);
    off[64] = off[64]! ^ 1;
    for (const k of [
      new Uint8Array(65),
      off,
      key.point.subarray(0, 33),
      Uint8Array.from([0x05, ...key.point.subarray(1)]),
    ]) {
      assert.throws(() => verifyRequestSignature(claims, k, 'GET', '/x', body, now, P256), bad);
    }
  });

  it('an Ed25519 request never verifies as P-256, nor a P-256 one as Ed25519', async () => {
    const ed = generateSigningKeyPair();
    const edClaims = readSignatureHeaders({ ...signRequest('d-1', ed.secretKey, 'GET', '/x', body, now) });
    assert.throws(() => verifyRequestSignature(edClaims, ed.publicKey, 'GET', '/x', body, now, P256), bad);
    verifyRequestSignature(edClaims, ed.publicKey, 'GET', '/x', body, now);
  });

  it('a signer that returns a DER signature (not r ‖ s) is refused at signing time', async () => {
    const der = async (text: Uint8Array) => new Uint8Array(sign('sha256', text, key.privateKey));
    await assert.rejects(signRequestWith('d-tpm', der, 'GET', '/x', body, now), (e) =>
      isViworksError(e, 'VIW_E_KEYSTORE'),
    );
  });
});
