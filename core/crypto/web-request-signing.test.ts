// The browser signer and the Node verifier agree: a request signed with WebCrypto (as the phone app
// does) verifies with verifyRequestSignature, and any change to what it covers breaks it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phoneFingerprint } from './fingerprints.js';
import { readSignatureHeaders, verifyRequestSignature } from './request-signing.js';
import { generateWebSigningKey, signRequestWeb, webPhoneFingerprint } from './web-request-signing.js';

const body = new TextEncoder().encode('{"txn_id":"t"}');

describe('web request signing (WebCrypto Ed25519)', () => {
  it('makes a non-extractable key whose fingerprint matches the Node one', async () => {
    const k = await generateWebSigningKey();
    assert.equal(k.privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey('pkcs8', k.privateKey));
    assert.equal(k.publicKey.length, 32);
    assert.equal(await webPhoneFingerprint(k.publicKey), phoneFingerprint(k.publicKey));
  });

  it('signs what the backend verifies, and nothing else', async () => {
    const k = await generateWebSigningKey();
    const now = Date.now();
    const h = await signRequestWeb('phone-1', k.privateKey, 'post', '/mobile/otp/deny', body, now);
    const claims = readSignatureHeaders({ ...h });
    assert.equal(claims.keyId, 'phone-1');
    verifyRequestSignature(claims, k.publicKey, 'POST', '/mobile/otp/deny', body, now);
    const changed: Array<[string, string, Uint8Array]> = [
      ['GET', '/mobile/otp/deny', body],
      ['POST', '/mobile/otp/reveal', body],
      ['POST', '/mobile/otp/deny', new TextEncoder().encode('{"txn_id":"u"}')],
    ];
    for (const [m, p, b] of changed) {
      assert.throws(() => verifyRequestSignature(claims, k.publicKey, m, p, b, now), {
        code: 'VIW_E_SIGNATURE_INVALID',
      });
    }
    const other = await generateWebSigningKey();
    assert.throws(() =>
      verifyRequestSignature(claims, other.publicKey, 'POST', '/mobile/otp/deny', body, now),
    );
  });

  it('uses a fresh nonce every time', async () => {
    const k = await generateWebSigningKey();
    const a = await signRequestWeb('p', k.privateKey, 'GET', '/mobile/otp', new Uint8Array());
    const b = await signRequestWeb('p', k.privateKey, 'GET', '/mobile/otp', new Uint8Array());
    assert.notEqual(a['viworks-nonce'], b['viworks-nonce']);
    assert.match(a['viworks-nonce'], /^[A-Za-z0-9_-]{22}$/);
  });
});
