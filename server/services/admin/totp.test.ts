import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  base32Decode,
  base32Encode,
  hotp,
  matchTotp,
  otpauthUri,
  type TotpAlgorithm,
  totpAt,
  totpStep,
} from './totp.js';
import { openTotpSecret, sealTotpSecret } from './totp-seal.js';

// RFC 6238 Appendix B: the seed is "1234567890" repeated to the hash's block-ish length.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};
const RFC6238: ReadonlyArray<readonly [number, string, string, string]> = [
  // [T seconds, SHA1, SHA256, SHA512], 8 digits
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
// RFC 4226 Appendix D: HOTP, SHA-1, 6 digits, counters 0..9.
const RFC4226 = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('TOTP (RFC 6238 / RFC 4226)', () => {
  it('matches the RFC 6238 Appendix B vectors for SHA-1, SHA-256 and SHA-512 (8 digits)', () => {
    for (const [t, sha1, sha256, sha512] of RFC6238) {
      const params = (algorithm: TotpAlgorithm) => ({ algorithm, digits: 8, periodS: 30 });
      assert.equal(totpAt(SEEDS.SHA1, t * 1000, params('SHA1')), sha1, `SHA1 T=${t}`);
      assert.equal(totpAt(SEEDS.SHA256, t * 1000, params('SHA256')), sha256, `SHA256 T=${t}`);
      assert.equal(totpAt(SEEDS.SHA512, t * 1000, params('SHA512')), sha512, `SHA512 T=${t}`);
    }
  });

  it('matches the RFC 4226 Appendix D HOTP vectors (6 digits)', () => {
    for (const [counter, code] of RFC4226.entries()) assert.equal(hotp(SEEDS.SHA1, counter, 6, 'SHA1'), code);
  });

  it('accepts the current step ±1 and reports which step matched; nothing further away', () => {
    const secret = randomBytes(20);
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const d of [-1, 0, 1]) {
      const code = hotp(secret, step + d, 6, 'SHA1');
      assert.equal(matchTotp(secret, code, now), step + d);
    }
    for (const d of [-3, -2, 2, 3]) {
      const code = hotp(secret, step + d, 6, 'SHA1');
      const m = matchTotp(secret, code, now);
      // A different step may collide by chance (1e-6); it can never report the far step itself.
      assert.notEqual(m, step + d);
    }
  });

  it('refuses malformed codes without computing anything', () => {
    const secret = randomBytes(20);
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 456', '１２３４５６']) {
      assert.equal(matchTotp(secret, bad, Date.now()), null);
    }
  });

  it('base32 round-trips and matches RFC 4648 §10', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, enc] of cases) {
      assert.equal(base32Encode(Buffer.from(plain)), enc);
      assert.equal(base32Decode(enc).toString(), plain);
    }
    const secret = randomBytes(20);
    assert.deepEqual(base32Decode(base32Encode(secret)), secret);
    assert.throws(() => base32Decode('MZ1'), TypeError);
  });

  it('builds the otpauth key URI authenticator apps read', () => {
    const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'ops.admin');
    assert.equal(
      uri,
      'otpauth://totp/ViWorkS:ops.admin?secret=JBSWY3DPEHPK3PXP&issuer=ViWorkS&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('TOTP secret sealing', () => {
  const key = randomBytes(32);
  it('opens only with the same key and the same user id', () => {
    const secret = randomBytes(20);
    const sealed = sealTotpSecret(key, 'user-a', secret);
    assert.ok(!sealed.includes(secret.toString('base64url')));
    assert.deepEqual(openTotpSecret(key, 'user-a', sealed), secret);
    assert.throws(() => openTotpSecret(key, 'user-b', sealed));
    assert.throws(() => openTotpSecret(randomBytes(32), 'user-a', sealed));
    // The second-last character carries six full bits of the tag (the last one may carry padding).
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.slice(-1)}`;
    assert.notEqual(flipped, sealed);
    assert.throws(() => openTotpSecret(key, 'user-a', flipped));
    assert.throws(() => openTotpSecret(key, 'user-a', 'v2.abc'));
  });
});
