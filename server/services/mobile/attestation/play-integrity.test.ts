// The Play Integrity verifier against tokens built here in Google's format (a compact JWE, A256KW +
// A256GCM, around a compact ES256 JWS over the verdict JSON) with keys the test makes in place of the
// Play Console's: a good verdict is accepted with its summary; a wrong nonce, package, app or signing
// certificate, a stale or future verdict, a rooted or emulated device, a signature or encryption by
// another key, tampered parts, other algorithms in either header, oversized and malformed tokens are
// each refused with VIW_E_ATTESTATION_INVALID; 10⁴ mutated tokens are never accepted, and nothing
// but VIW_E_ATTESTATION_INVALID (with a fixed reason) ever comes out.
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import {
  classicVerdict,
  encryptToken,
  newPlayConsoleKeys,
  signVerdict,
} from '../../../testing/play-integrity-tokens.js';
import { seededInts } from '../../../testing/seeded-random.js';
import { type PlayIntegrityConfig, playIntegrityVerifier } from './play-integrity.js';

const PKG = 'com.viworks.phone';
const NOW = 1_760_000_000_000;
const NONCE = randomBytes(32).toString('base64url');
const CERT = createHash('sha256').update('viworks release signing certificate').digest();
const consoleKeys = newPlayConsoleKeys();
const aesKey = consoleKeys.decryptionKey;
const ec = { privateKey: consoleKeys.signingKey };
const config: PlayIntegrityConfig = {
  decryptionKey: Buffer.from(consoleKeys.decryptionKey),
  verificationKeySpki: consoleKeys.verificationKeySpki,
  packageName: PKG,
  certificateSha256Digests: [CERT.toString('base64url')],
  maxAgeMs: 5 * 60_000,
};
const verifyToken = playIntegrityVerifier(config);
config.decryptionKey.fill(0); // the verifier keeps its own copy: the caller wipes its buffer

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** A classic-request verdict as Play returns it; `edit` changes one thing. */
function verdict(edit: (v: any) => void = () => {}): any {
  const v = classicVerdict({
    packageName: PKG,
    nonce: NONCE,
    timestampMs: NOW - 2_000,
    certificateDigest: CERT,
  });
  edit(v);
  return v;
}

const jws = (payload: unknown, header?: object, key = ec.privateKey) => signVerdict(payload, key, header);
const jwe = (plaintext: string, header?: object, kek = aesKey) => encryptToken(plaintext, kek, header);

const token = (v: unknown = verdict()) => jwe(jws(v));

const refused = (reason: RegExp) => (e: unknown) =>
  isViworksError(e, 'VIW_E_ATTESTATION_INVALID') && e.details.length === 1 && reason.test(e.details[0]!);

function refuses(t: unknown, reason: RegExp, nonce = NONCE, now = NOW) {
  assert.throws(() => verifyToken(t, nonce, now), refused(reason));
}

/** Replaces part `i` (0-based) of a compact serialization: bytes are encoded, a string is used as is. */
function withPart(t: string, i: number, f: (bytes: Buffer) => Buffer | string): string {
  const parts = t.split('.');
  const next = f(Buffer.from(parts[i]!, 'base64url'));
  parts[i] = typeof next === 'string' ? next : b64u(next);
  return parts.join('.');
}
const flip = (at: number) => (b: Buffer) => {
  const c = Buffer.from(b);
  c[at % c.length]! ^= 0x01;
  return c;
};

describe('Play Integrity verifier', () => {
  it('accepts a fresh verdict for our app on a certified device, with its summary', () => {
    const v = verifyToken(token(), NONCE, NOW);
    assert.deepEqual(v, {
      format: 'play_integrity',
      deviceIntegrity: ['MEETS_DEVICE_INTEGRITY'],
      appRecognition: 'PLAY_RECOGNIZED',
      packageName: PKG,
      certificateDigest: CERT.toString('base64url'),
      timestampMs: NOW - 2_000,
      hardwareBacked: false,
      appLicensing: 'LICENSED',
    });
  });

  it('reports MEETS_STRONG_INTEGRITY as hardware-backed', () => {
    const t = token(
      verdict((v) => {
        v.deviceIntegrity.deviceRecognitionVerdict = [
          'MEETS_BASIC_INTEGRITY',
          'MEETS_DEVICE_INTEGRITY',
          'MEETS_STRONG_INTEGRITY',
        ];
      }),
    );
    assert.equal(verifyToken(t, NONCE, NOW).hardwareBacked, true);
  });

  it('matches the nonce as bytes: Play may return it padded or in the standard alphabet', () => {
    const raw = Buffer.from(NONCE, 'base64url');
    for (const returned of [raw.toString('base64'), `${NONCE}=`]) {
      const t = token(
        verdict((v) => {
          v.requestDetails.nonce = returned;
        }),
      );
      assert.equal(verifyToken(t, NONCE, NOW).packageName, PKG);
    }
  });

  it('accepts a standard request bound by requestHash (exact string)', () => {
    const hash = createHash('sha256').update('bind request').digest('hex');
    const t = token(
      verdict((v) => {
        delete v.requestDetails.nonce;
        v.requestDetails.requestHash = hash;
      }),
    );
    assert.equal(verifyToken(t, hash, NOW).format, 'play_integrity');
    refuses(t, /nonce/, hash.toUpperCase());
  });

  it('refuses another nonce, or none, or both fields', () => {
    refuses(token(), /nonce/, randomBytes(32).toString('base64url'));
    refuses(token(), /nonce/, '');
    refuses(token(verdict((v) => delete v.requestDetails.nonce)), /nonce/);
    refuses(token(verdict((v) => (v.requestDetails.requestHash = NONCE))), /nonce/);
  });

  it('refuses a stale verdict and one from the future', () => {
    refuses(token(), /too old/, NONCE, NOW + config.maxAgeMs);
    refuses(token(verdict((v) => (v.requestDetails.timestampMillis = String(NOW + 61_000)))), /future/);
    // Within the skew is fine.
    const soon = token(verdict((v) => (v.requestDetails.timestampMillis = String(NOW + 59_000))));
    assert.equal(verifyToken(soon, NONCE, NOW).timestampMs, NOW + 59_000);
  });

  it('refuses a verdict for another package (request or app)', () => {
    refuses(token(verdict((v) => (v.requestDetails.requestPackageName = 'com.evil.app'))), /another package/);
    refuses(token(verdict((v) => (v.appIntegrity.packageName = 'com.evil.app'))), /package does not match/);
  });

  it('refuses an app Play does not recognise', () => {
    for (const verdictName of ['UNRECOGNIZED_VERSION', 'UNEVALUATED']) {
      const t = token(verdict((v) => (v.appIntegrity.appRecognitionVerdict = verdictName)));
      refuses(t, /not recognised by Google Play/);
    }
  });

  it('refuses an unknown signing certificate', () => {
    const other = createHash('sha256').update('someone else').digest('base64url');
    refuses(token(verdict((v) => (v.appIntegrity.certificateSha256Digest = [other]))), /signing certificate/);
    refuses(token(verdict((v) => delete v.appIntegrity.certificateSha256Digest)), /signing certificate/);
  });

  it('refuses a rooted device (basic integrity only), an emulator (virtual) and an unrecognised one', () => {
    const device = (labels: string[] | undefined) =>
      token(verdict((v) => (v.deviceIntegrity = labels ? { deviceRecognitionVerdict: labels } : {})));
    refuses(device(['MEETS_BASIC_INTEGRITY']), /rooted/);
    refuses(device(['MEETS_VIRTUAL_INTEGRITY']), /emulator/);
    refuses(device([]), /not recognised/);
    refuses(device(undefined), /not recognised/);
  });

  it('refuses a verdict signed by another key, or a signature moved onto another payload', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    refuses(jwe(jws(verdict(), { alg: 'ES256' }, stranger)), /signature/);
    const good = jws(verdict()).split('.');
    const other = jws(
      verdict((v) => (v.deviceIntegrity.deviceRecognitionVerdict = ['MEETS_STRONG_INTEGRITY'])),
    );
    refuses(jwe([good[0], other.split('.')[1], good[2]].join('.')), /signature/);
    // r||s with a byte appended, or cut short, is not an ES256 signature.
    const sig = Buffer.from(good[2]!, 'base64url');
    for (const s of [Buffer.concat([sig, Buffer.from([0])]), sig.subarray(0, 63)])
      refuses(jwe([good[0], good[1], s.toString('base64url')].join('.')), /signature/);
  });

  it('refuses a token encrypted under another key', () => {
    refuses(jwe(jws(verdict()), undefined, randomBytes(32)), /decrypt/);
  });

  it('refuses tampered wrapped key, IV, ciphertext, tag or protected header', () => {
    const t = token();
    for (const part of [1, 2, 3, 4]) refuses(withPart(t, part, flip(5)), /decrypt/);
    // The same header, spelled differently, is different AAD.
    refuses(
      withPart(t, 0, () => b64u('{"alg":"A256KW", "enc":"A256GCM"}')),
      /decrypt/,
    );
  });

  it('refuses other algorithms in the JWE header, and extensions', () => {
    for (const header of [
      { alg: 'none', enc: 'A256GCM' },
      { alg: 'dir', enc: 'A256GCM' },
      { alg: 'A128KW', enc: 'A256GCM' },
      { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
      { alg: 'A256KW', enc: 'A128GCM' },
      { alg: 'A256KW', enc: 'A256CBC-HS512' },
      { alg: 'A256KW' },
    ])
      refuses(jwe(jws(verdict()), header), /JWE (alg|enc) is not/);
    refuses(jwe(jws(verdict()), { alg: 'A256KW', enc: 'A256GCM', zip: 'DEF' }), /extension/);
  });

  it('refuses other algorithms in the JWS header (none, HMAC with the public key, others)', () => {
    const payload = b64u(JSON.stringify(verdict()));
    const none = `${b64u('{"alg":"none"}')}.${payload}.`;
    refuses(jwe(none), /not a compact JWS/);
    refuses(jwe(`${none}AAAA`), /JWS alg is not ES256/);
    const hsHeader = b64u('{"alg":"HS256"}');
    const hmac = createHmac('sha256', config.verificationKeySpki)
      .update(`${hsHeader}.${payload}`)
      .digest('base64url');
    refuses(jwe(`${hsHeader}.${payload}.${hmac}`), /JWS alg is not ES256/);
    for (const alg of ['ES384', 'RS256', 'EdDSA', 'es256']) refuses(jwe(jws(verdict(), { alg })), /JWS alg/);
    refuses(jwe(jws(verdict(), { alg: 'ES256', crit: ['exp'], exp: 1 })), /extension/);
    // A DER-encoded ECDSA signature is not the JOSE form.
    const input = `${b64u('{"alg":"ES256"}')}.${payload}`;
    const der = sign('sha256', Buffer.from(input), ec.privateKey);
    refuses(jwe(`${input}.${der.toString('base64url')}`), /signature/);
  });

  it('refuses oversized and malformed tokens before decrypting anything', () => {
    refuses('A'.repeat(16 * 1024 + 1), /too large/);
    refuses(`${token()}${'A'.repeat(16 * 1024)}`, /too large/);
    for (const t of [undefined, null, 42, {}, ['a.b.c.d.e'], Buffer.from(token())])
      refuses(t, /not a string/);
    const good = token();
    for (const t of [
      '',
      'a.b.c.d',
      'a.b.c.d.e.f',
      good.split('.').slice(0, 4).join('.'),
      `${good}.`,
      `.${good}`,
      good.replace('.', '..'),
      good.replace(/^./, '+'),
      `${good}=`,
      ` ${good}`,
      `${good.slice(0, 30)}/${good.slice(31)}`,
      jws(verdict()),
    ])
      refuses(t, /not a compact JWE/);
  });

  it('refuses non-canonical base64url, wrong part lengths and undecodable headers', () => {
    const t = token();
    // A 16-byte tag is 22 chars whose last carries 4 unused bits; setting one is another spelling.
    refuses(
      withPart(t, 4, (b) => `${b.toString('base64url').slice(0, 21)}B`),
      /canonical/,
    );
    refuses(
      withPart(t, 2, () => randomBytes(16)),
      /wrong length/,
    );
    refuses(
      withPart(t, 4, () => randomBytes(12)),
      /wrong length/,
    );
    refuses(
      withPart(t, 1, () => randomBytes(32)),
      /wrong length/,
    );
    refuses(
      withPart(t, 0, () => Buffer.from('not json')),
      /JWE header is not UTF-8 JSON/,
    );
    refuses(
      withPart(t, 0, () => Buffer.from([0xff, 0xfe])),
      /JWE header is not UTF-8 JSON/,
    );
    refuses(
      withPart(t, 0, () => Buffer.from('["A256KW"]')),
      /not an object/,
    );
    refuses(
      withPart(t, 0, () => Buffer.from('null')),
      /not an object/,
    );
    refuses(
      withPart(t, 0, () => Buffer.from(`{"alg":"A256KW","enc":"A256GCM","kid":"${'x'.repeat(600)}"}`)),
      /too large/,
    );
  });

  it('refuses well-signed content that is not a verdict', () => {
    refuses(jwe('hello, world'), /not a compact JWS/);
    const signed = (payload: string) => {
      const input = `${b64u('{"alg":"ES256"}')}.${b64u(payload)}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    refuses(jwe(signed('{"requestDetails":')), /verdict is not UTF-8 JSON/);
    refuses(jwe(signed('[]')), /malformed/);
    refuses(jwe(jws(verdict((v) => delete v.requestDetails))), /malformed/);
    refuses(jwe(jws(verdict((v) => (v.requestDetails.timestampMillis = 'yesterday')))), /malformed/);
    refuses(
      jwe(jws(verdict((v) => (v.deviceIntegrity.deviceRecognitionVerdict = 'MEETS_DEVICE_INTEGRITY')))),
      /malformed/,
    );
    refuses(
      jwe(jws(verdict((v) => (v.appIntegrity.certificateSha256Digest = Array(17).fill('x'))))),
      /malformed/,
    );
  });

  it('checks its configuration at start-up (VIW_E_CONFIG naming the setting, never the value)', () => {
    const bad = (edit: Partial<PlayIntegrityConfig>, setting: string) =>
      assert.throws(
        () => playIntegrityVerifier({ ...config, decryptionKey: aesKey, ...edit }),
        (e: unknown) =>
          isViworksError(e, 'VIW_E_CONFIG') &&
          e.details[0]!.startsWith(`playIntegrity.${setting}:`) &&
          !e.details[0]!.includes(aesKey.toString('base64')),
      );
    bad({ decryptionKey: randomBytes(16) }, 'decryptionKey');
    bad({ verificationKeySpki: aesKey }, 'verificationKey');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    bad({ verificationKeySpki: p384.export({ format: 'der', type: 'spki' }) }, 'verificationKey');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    bad({ verificationKeySpki: rsa.export({ format: 'der', type: 'spki' }) }, 'verificationKey');
    bad({ packageName: 'phone' }, 'packageName');
    bad({ certificateSha256Digests: [] }, 'certificateSha256Digests');
    bad({ certificateSha256Digests: ['AB:CD'] }, 'certificateSha256Digests');
    bad({ maxAgeMs: 0 }, 'maxAgeMs');
    bad({ requiredDeviceVerdict: 'MEETS_BASIC_INTEGRITY' as never }, 'requiredDeviceVerdict');
  });

  it('requires MEETS_STRONG_INTEGRITY when configured to', () => {
    const strict = playIntegrityVerifier({
      ...config,
      decryptionKey: aesKey,
      requiredDeviceVerdict: 'MEETS_STRONG_INTEGRITY',
    });
    assert.throws(() => strict(token(), NONCE, NOW), refused(/strong/));
    const strong = verdict((v) => {
      v.deviceIntegrity.deviceRecognitionVerdict = ['MEETS_DEVICE_INTEGRITY', 'MEETS_STRONG_INTEGRITY'];
    });
    assert.equal(strict(token(strong), NONCE, NOW).hardwareBacked, true);
  });

  it('never accepts 10⁴ mutated tokens and refuses each with a fixed reason', () => {
    // The same mutations on every run, reproducible from the index.
    const pick = seededInts(0x9e3779b9);
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u00e9\0';
    const good = token();
    const goodJws = jws(verdict());
    const mutate = (s: string): string => {
      const at = pick(s.length);
      switch (pick(6)) {
        case 0: // replace a character
          return s.slice(0, at) + ALPHABET[pick(ALPHABET.length)] + s.slice(at + 1);
        case 1: // delete a run
          return s.slice(0, at) + s.slice(at + 1 + pick(8));
        case 2: // insert a character
          return s.slice(0, at) + ALPHABET[pick(ALPHABET.length)] + s.slice(at);
        case 3: // truncate
          return s.slice(0, at);
        case 4: {
          // swap two parts
          const p = s.split('.');
          const [i, j] = [pick(p.length), pick(p.length)];
          [p[i], p[j]] = [p[j]!, p[i]!];
          return p.join('.');
        }
        default: // duplicate a slice
          return s.slice(0, at) + s.slice(pick(s.length)).slice(0, 1 + pick(40)) + s.slice(at);
      }
    };
    const reasons = new Set<string>();
    let tried = 0;
    for (let i = 0; i < 12_000; i++) {
      // Most mutate the token; one in six mutates the signed JWS and encrypts it properly, so the
      // signature and parsing layers see mutations too.
      const inner = i % 6 === 5;
      let s = inner ? goodJws : good;
      for (let k = 1 + pick(3); k > 0; k--) s = mutate(s);
      if (s === (inner ? goodJws : good)) continue;
      const t = inner ? jwe(s) : s;
      tried++;
      try {
        verifyToken(t, NONCE, NOW);
        assert.fail(`mutation ${i} was accepted`);
      } catch (e) {
        assert.ok(isViworksError(e, 'VIW_E_ATTESTATION_INVALID'), `mutation ${i}: ${String(e)}`);
        assert.equal(e.details.length, 1);
        assert.match(e.details[0]!, /^[A-Za-z0-9 ,()-]{1,80}$/);
        reasons.add(e.details[0]!);
      }
    }
    assert.ok(tried >= 10_000, `only ${tried} mutations`);
    assert.ok(reasons.size <= 30, 'refusal reasons are a small fixed set');
  });
});
