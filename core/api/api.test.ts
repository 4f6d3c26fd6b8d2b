// The wire contracts themselves: closed objects, bounded strings, the fingerprint definitions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { strictValidator } from '../schema/strict.js';
import { LoginRequestSchema, VerifyRequestSchema } from './auth.js';
import { decodeKey32, encodeKey32 } from './common.js';
import { deviceFingerprint, EnrollRequestSchema } from './device.js';
import { BindRequestSchema, phoneFingerprint } from './mobile.js';

const key = (fill: number) => encodeKey32(new Uint8Array(32).fill(fill));

describe('core/api contracts', () => {
  it('close every request object and bound its strings', () => {
    const login = strictValidator(LoginRequestSchema);
    const ok = {
      username: 'u',
      password: 'p',
      device_id: '01a20720-4121-72e5-bb56-9b56fad112b9',
      device_nonce: 'n'.repeat(16),
    };
    assert.ok(login.check(ok));
    assert.ok(!login.check({ ...ok, extra: 1 }));
    assert.ok(!login.check({ ...ok, password: 'p'.repeat(257) }));
    assert.ok(!login.check({ ...ok, username: 'has space' }));
    assert.ok(!login.check({ ...ok, device_nonce: 'short' }));
    const verify = strictValidator(VerifyRequestSchema);
    assert.ok(verify.check({ txn_id: `viw_tx_${'a'.repeat(43)}`, otp_code: '012345' }));
    assert.ok(!verify.check({ txn_id: `viw_tx_${'a'.repeat(43)}`, otp_code: '12345' }));
    const enroll = strictValidator(EnrollRequestSchema);
    const e = {
      hpke_public_key: key(1),
      signing_public_key: key(2),
      fingerprint: 'a'.repeat(64),
      platform: 'linux',
      client_version: '1.2.3-rc.1',
      key_protection: 'hardware',
      username: 'u',
      password: 'p',
    };
    assert.ok(enroll.check(e));
    assert.ok(!enroll.check({ ...e, fingerprint: 'A'.repeat(64) }));
    assert.ok(!enroll.check({ ...e, enrollment_token: 'viw_et_short' }));
    const bind = strictValidator(BindRequestSchema);
    const b = { bind_code: 'ABCDEFGHJK', platform: 'ios', public_key: key(3), attestation: { type: 'none' } };
    assert.ok(bind.check(b));
    assert.ok(!bind.check({ ...b, attestation: { type: 'none', verdict: 'pass' } }));
    assert.ok(!bind.check({ ...b, attestation: { type: 'safetynet' } }));
  });

  it('decode only canonical 32-byte keys', () => {
    const k = key(7);
    assert.deepEqual(decodeKey32(k), new Uint8Array(32).fill(7));
    assert.equal(decodeKey32(`${k.slice(0, 42)}9`), null, 'non-canonical trailing bits');
    assert.equal(decodeKey32(`${k}=`), null);
    assert.equal(decodeKey32(k.replace(/./, '+')), null, 'standard alphabet refused');
  });

  it('define fingerprints as SHA-256 hex over the raw public keys', () => {
    const x = new Uint8Array(32).fill(1);
    const ed = new Uint8Array(32).fill(2);
    const expected = createHash('sha256')
      .update(Buffer.concat([x, ed]))
      .digest('hex');
    assert.equal(deviceFingerprint(x, ed), expected);
    assert.notEqual(deviceFingerprint(ed, x), expected, 'order matters: X25519 first');
    assert.equal(phoneFingerprint(ed), createHash('sha256').update(ed).digest('hex'));
  });
});
