// The secret-free opener: the same verdicts as JSON.parse + the payload schema, but the four secret
// fields come out as Buffers (raw SPA keys; PEM-like texts) and the payload keeps none of them.
// Hostile structure (duplicates, non-strings, escapes, nesting that mimics a secret path) is
// refused or leaves secrets where the schema refuses them; 3000 random mutations are judged the
// same way as the JSON.parse path (differential), and never throw anything but a ViworksError.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { openBootstrapPlaintext, wipeBootstrapSecrets } from './opened.js';
import { parseBootstrap } from './payload.js';
import { base64BytesToBuffer, pemBlock, staticKeyBlock } from './secret-bytes.js';
import { NOW, sample } from './testing/sample.js';

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

describe('opening the bootstrap without secret strings', () => {
  it('splits a valid payload into plain values and secret buffers', () => {
    const p = sample();
    const { payload, secrets } = openBootstrapPlaintext(bytes(p), NOW);
    assert.deepEqual(secrets.spaEncKey, Buffer.from(p.spa.enc_key, 'base64'));
    assert.deepEqual(secrets.spaHmacKey, Buffer.from(p.spa.hmac_key, 'base64'));
    assert.equal(secrets.tlsCryptKey.toString(), p.ovpn.tls_crypt_key_inline);
    assert.equal(secrets.clientKeyPem.toString(), p.ovpn.key_inline);
    const text = JSON.stringify(payload);
    for (const s of [p.spa.enc_key, p.spa.hmac_key, p.ovpn.key_inline, p.ovpn.tls_crypt_key_inline])
      assert.ok(!text.includes(s), 'no secret in the public payload');
    assert.equal('key_inline' in payload.ovpn, false);
    assert.equal('enc_key' in payload.spa, false);
    const { spa, ovpn, ...rest } = parseBootstrap(bytes(p), NOW);
    assert.deepEqual({ ...rest, spa: payload.spa, ovpn: payload.ovpn }, payload);
    assert.equal(spa.port, payload.spa.port);
    assert.equal(ovpn.cert_inline, payload.ovpn.cert_inline);
    wipeBootstrapSecrets(secrets);
    assert.ok(secrets.clientKeyPem.every((b) => b === 0) && secrets.spaEncKey.every((b) => b === 0));
  });

  it('accepts the static key with comment lines (dropped) and whitespace between tokens', () => {
    const p = sample();
    p.ovpn.tls_crypt_key_inline = `# 2048 bit OpenVPN static key\n${p.ovpn.tls_crypt_key_inline}`;
    const spaced = Buffer.from(JSON.stringify(p, null, 2));
    const { secrets } = openBootstrapPlaintext(spaced, NOW);
    assert.match(secrets.tlsCryptKey.toString(), /^-----BEGIN OpenVPN Static key V1-----\n/);
  });

  it('refuses hostile structure with the field named, never its content', () => {
    const p = sample();
    const text = JSON.stringify(p);
    const cases: Array<[string, string]> = [
      ['a duplicate secret key', text.replace('"enc_key":', `"enc_key":"${p.spa.enc_key}","enc_key":`)],
      ['a secret that is not a string', text.replace(`"enc_key":"${p.spa.enc_key}"`, '"enc_key":123')],
      ['a control character in a secret', text.replace(p.spa.enc_key, `\\u0000${p.spa.enc_key.slice(6)}`)],
      ['a short SPA key', text.replace(p.spa.enc_key, Buffer.alloc(16, 1).toString('base64'))],
      ['a private key of another kind', text.replace('PRIVATE KEY-----', 'RSA PRIVATE KEY-----')],
      ['a missing secret', JSON.stringify({ ...p, spa: { ...p.spa, hmac_key: undefined } })],
      ['trailing garbage', `${text} x`],
      ['not JSON', text.slice(0, -1)],
      ['an unknown field', JSON.stringify({ ...p, extra: 1 })],
    ];
    for (const [why, t] of cases) {
      assert.throws(
        () => openBootstrapPlaintext(Buffer.from(t), NOW),
        (e) =>
          isViworksError(e, 'VIW_E_BOOTSTRAP_INVALID') &&
          !e.details.join().includes(p.spa.enc_key) &&
          !e.details.join().includes('BEGIN'),
        why,
      );
    }
  });

  it('a secret path nested elsewhere is not a secret: the schema refuses the payload', () => {
    const p = sample();
    const nested = JSON.stringify({ ...p, policy: { ...p.policy, spa: { enc_key: p.spa.enc_key } } });
    assert.throws(
      () => openBootstrapPlaintext(Buffer.from(nested), NOW),
      (e) => isViworksError(e),
    );
  });

  it('judges random mutations as JSON.parse + the schema do (differential)', () => {
    const base = bytes(sample());
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const m = Buffer.from(base);
      for (let k = 0; k < 1 + (n % 3); k++) {
        const at = randomBytes(4).readUInt32BE() % m.length;
        m[at] = n % 2 ? randomBytes(1)[0]! : '{}[]",:\\ne0A='.charCodeAt(n % 14);
      }
      let reference: 'ok' | 'refused';
      try {
        parseBootstrap(m, NOW);
        reference = 'ok';
      } catch {
        reference = 'refused';
      }
      let ours: 'ok' | 'refused';
      try {
        wipeBootstrapSecrets(openBootstrapPlaintext(m, NOW).secrets);
        ours = 'ok';
        accepted++;
      } catch (e) {
        assert.ok(isViworksError(e), `a ViworksError, not ${String(e)}`);
        ours = 'refused';
      }
      // Ours may be stricter (a static key JSON accepts but OpenVPN would not), never looser.
      if (ours === 'ok') assert.equal(reference, 'ok', `mutation ${n} accepted by the opener only`);
    }
    assert.ok(accepted > 0, 'some mutations stay valid (e.g. inside a certificate body)');
  });
});

describe('secret byte checks', () => {
  it('base64 over bytes: padded standard alphabet only', () => {
    const raw = randomBytes(33);
    for (const len of [30, 31, 32, 33]) {
      const b = raw.subarray(0, len);
      assert.deepEqual(base64BytesToBuffer(Buffer.from(b.toString('base64'))), b);
    }
    for (const bad of ['', 'abc', 'ab=c', 'a-b_', '====', 'AAAA AAA='])
      assert.equal(base64BytesToBuffer(Buffer.from(bad)), null, bad);
  });

  it('static key and PEM blocks: structure exactly', () => {
    const p = sample();
    assert.ok(staticKeyBlock(Buffer.from(p.ovpn.tls_crypt_key_inline)));
    assert.equal(staticKeyBlock(Buffer.from(p.ovpn.tls_crypt_key_inline.toUpperCase())), null);
    assert.equal(staticKeyBlock(Buffer.from(`${p.ovpn.tls_crypt_key_inline}x`)), null);
    assert.ok(pemBlock(Buffer.from(p.ovpn.key_inline), 'PRIVATE KEY'));
    assert.equal(pemBlock(Buffer.from(p.ovpn.key_inline.replace('\n', '\n<x>\n')), 'PRIVATE KEY'), null);
    assert.equal(pemBlock(Buffer.from(p.ovpn.key_inline), 'CERTIFICATE'), null);
  });
});
