import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { ErrorCode } from '../errors/catalogue.js';
import { ViworksError } from '../errors/viworks-error.js';
import { b64Decode, b64NoPad } from './bytes.js';
import { type OpenEnvelopeOptions, openEnvelope, sealEnvelope } from './envelope.js';
import { type Envelope, encodeAad, MAX_CT_BYTES, MAX_PLAINTEXT_BYTES } from './envelope-format.js';
import { generateDeviceKeyPair, importPrivateKey, type RecipientKey } from './hpke.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const EXP = new Date('2030-01-01T00:05:00Z');
const DEVICE = 'dev_1';
const SESSION = 'sess-2';
const MARKER = 'SECRET-BOOTSTRAP-MARKER';

let publicKey: Uint8Array;
let recipientKey: RecipientKey;
let otherKey: RecipientKey;

before(async () => {
  const pair = await generateDeviceKeyPair();
  publicKey = pair.publicKey;
  recipientKey = await importPrivateKey(pair.privateKey);
  otherKey = await importPrivateKey((await generateDeviceKeyPair()).privateKey);
});

function plaintextOf(size: number): Uint8Array {
  const pt = new Uint8Array(randomBytes(size));
  new TextEncoder().encodeInto(MARKER, pt);
  return pt;
}

function seal(plaintext: Uint8Array, exp = EXP): Promise<Envelope> {
  return sealEnvelope({
    recipientPublicKey: publicKey,
    deviceId: DEVICE,
    sessionId: SESSION,
    exp,
    plaintext,
  });
}

function open(env: unknown, o: Partial<OpenEnvelopeOptions> = {}): Promise<Uint8Array> {
  return openEnvelope(env, {
    recipientKey,
    expectedDeviceId: DEVICE,
    expectedSessionId: SESSION,
    now: NOW,
    ...o,
  });
}

/** Expects exactly `code`, and checks that nothing the error exposes carries plaintext. */
async function expectError(
  p: Promise<unknown>,
  code: ErrorCode,
  plaintext?: Uint8Array,
): Promise<ViworksError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ViworksError, `expected ViworksError, got ${String(err)}`);
  assert.equal(err.code, code, `details: ${err.details.join('; ')}`);
  const exposed = [err.message, err.stack ?? '', JSON.stringify(err.toBody()), String(err.cause ?? '')].join(
    '\n',
  );
  assert.ok(!exposed.includes(MARKER), 'error exposes the plaintext');
  if (plaintext) {
    for (const form of [Buffer.from(plaintext).toString('hex'), b64NoPad(plaintext)]) {
      assert.ok(!exposed.includes(form.slice(0, 32)), 'error exposes encoded plaintext');
    }
  }
  return err;
}

/** Returns the base64 text with decoded byte `i` XORed with `mask`. */
function flipByte(text: string, i: number, mask = 0x01): string {
  const bytes = b64Decode(text);
  bytes[i]! ^= mask;
  return b64NoPad(bytes);
}

describe('envelope: round trip and format', () => {
  it('seals a 4 KiB bootstrap and opens it after a JSON round trip', async () => {
    const pt = plaintextOf(4096);
    const env = await seal(pt);
    assert.deepEqual(Object.keys(env), ['v', 'suite', 'enc', 'ct', 'aad']);
    assert.equal(env.v, 1);
    assert.equal(env.suite, 'X25519-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305');
    assert.equal(b64Decode(env.enc).length, 32);
    assert.equal(b64Decode(env.ct).length, 4096 + 16);
    assert.deepEqual(env.aad, { device_id: DEVICE, session_id: SESSION, exp: '2030-01-01T00:05:00Z' });
    assert.deepEqual(await open(JSON.parse(JSON.stringify(env))), pt);
  });

  it('encodes the AAD as length-prefixed v, suite, device_id, session_id, exp (golden bytes)', () => {
    const aad = encodeAad({ device_id: DEVICE, session_id: SESSION, exp: '2030-01-01T00:05:00Z' });
    const expected = [
      ['0001', '31'], // "1"
      ['002f', Buffer.from('X25519-HKDF-SHA256/HKDF-SHA256/ChaCha20Poly1305').toString('hex')],
      ['0005', '6465765f31'], // "dev_1"
      ['0006', '736573732d32'], // "sess-2"
      ['0014', '323033302d30312d30315430303a30353a30305a'], // "2030-01-01T00:05:00Z"
    ]
      .flat()
      .join('');
    assert.equal(Buffer.from(aad).toString('hex'), expected);
  });

  it('truncates exp to whole seconds (expires early, never late)', async () => {
    const env = await seal(plaintextOf(32), new Date('2030-01-01T00:05:00.999Z'));
    assert.equal(env.aad.exp, '2030-01-01T00:05:00Z');
  });

  it('leaves the caller plaintext untouched, and the caller may wipe it right after sealing', async () => {
    const pt = plaintextOf(64);
    const copy = Uint8Array.from(pt);
    const env = await seal(pt);
    assert.deepEqual(pt, copy);
    pt.fill(0);
    assert.deepEqual(await open(env), copy);
  });

  it('opens without expectedSessionId, and at exactly 10 minutes ahead', async () => {
    const env = await seal(plaintextOf(32));
    await open(env, { expectedSessionId: undefined });
    await open(env, { now: new Date(EXP.getTime() - 10 * 60 * 1000) });
  });

  it('seals and opens the maximum plaintext size', async () => {
    const pt = plaintextOf(MAX_PLAINTEXT_BYTES);
    const env = await seal(pt);
    assert.equal(b64Decode(env.ct).length, MAX_CT_BYTES);
    assert.deepEqual(await open(env), pt);
  });
});

describe('envelope: tampering gives one typed error', () => {
  let pt: Uint8Array;
  let env: Envelope;
  before(async () => {
    pt = plaintextOf(48);
    env = await seal(pt);
  });

  it('every single-byte flip of enc fails to open', async () => {
    for (let i = 0; i < 32; i++) {
      await expectError(open({ ...env, enc: flipByte(env.enc, i) }), 'VIW_E_SEAL_OPEN_FAILED', pt);
    }
    // X25519 ignores the top bit of a public key (RFC 7748), but HPKE hashes enc itself.
    await expectError(open({ ...env, enc: flipByte(env.enc, 31, 0x80) }), 'VIW_E_SEAL_OPEN_FAILED', pt);
  });

  it('every single-byte flip of ct fails to open, as does dropping a byte', async () => {
    const ctLen = b64Decode(env.ct).length;
    for (let i = 0; i < ctLen; i++) {
      const err = await expectError(open({ ...env, ct: flipByte(env.ct, i) }), 'VIW_E_SEAL_OPEN_FAILED', pt);
      assert.deepEqual(err.details, ['hpke: OpenError']);
    }
    const shorter = b64NoPad(b64Decode(env.ct).subarray(0, ctLen - 1));
    await expectError(open({ ...env, ct: shorter }), 'VIW_E_SEAL_OPEN_FAILED', pt);
  });

  it('each aad member is bound cryptographically, not just compared', async () => {
    const cases: Array<[Envelope['aad'], Partial<OpenEnvelopeOptions>]> = [
      [{ ...env.aad, device_id: 'dev_2' }, { expectedDeviceId: 'dev_2' }],
      [{ ...env.aad, session_id: 'sess-3' }, { expectedSessionId: 'sess-3' }],
      [{ ...env.aad, exp: '2030-01-01T00:04:59Z' }, {}],
    ];
    for (const [aad, o] of cases) {
      const err = await expectError(open({ ...env, aad }, o), 'VIW_E_SEAL_OPEN_FAILED', pt);
      assert.deepEqual(err.details, ['hpke: OpenError'], 'refused by the AEAD, not by a comparison');
    }
  });

  it('an envelope for another device or session is refused', async () => {
    const device = await expectError(open(env, { expectedDeviceId: 'dev_2' }), 'VIW_E_SEAL_OPEN_FAILED', pt);
    assert.deepEqual(device.details, ['/aad/device_id: not this device']);
    const session = await expectError(
      open(env, { expectedSessionId: 'sess-3' }),
      'VIW_E_SEAL_OPEN_FAILED',
      pt,
    );
    assert.deepEqual(session.details, ['/aad/session_id: not the expected session']);
  });

  it('the wrong device key fails to open', async () => {
    await expectError(open(env, { recipientKey: otherKey }), 'VIW_E_SEAL_OPEN_FAILED', pt);
  });

  it('v and suite are pinned', async () => {
    for (const v of [2, 0, '1', 1.5, null]) {
      await expectError(open({ ...env, v }), 'VIW_E_ENVELOPE_INVALID', pt);
    }
    for (const suite of [
      'X25519-HKDF-SHA256/HKDF-SHA256/AES128GCM',
      'x25519-hkdf-sha256/hkdf-sha256/chacha20poly1305',
      '',
    ]) {
      await expectError(open({ ...env, suite }), 'VIW_E_ENVELOPE_INVALID', pt);
    }
  });
});

describe('envelope: shape is strict', () => {
  let env: Envelope;
  before(async () => {
    env = await seal(plaintextOf(48));
  });

  it('refuses unknown fields, at the top and inside aad', async () => {
    const top = await expectError(open({ ...env, extra: 1 }), 'VIW_E_ENVELOPE_INVALID');
    assert.ok(top.details.some((d) => d.startsWith('/extra')));
    const inner = await expectError(
      open({ ...env, aad: { ...env.aad, role: 'admin' } }),
      'VIW_E_ENVELOPE_INVALID',
    );
    assert.ok(inner.details.some((d) => d.startsWith('/aad/role')));
  });

  it('refuses missing fields and non-objects', async () => {
    const { ct: _ct, ...noCt } = env;
    for (const bad of [
      noCt,
      { ...env, aad: { device_id: DEVICE, session_id: SESSION } },
      null,
      'x',
      [],
      42,
    ]) {
      await expectError(open(bad), 'VIW_E_ENVELOPE_INVALID');
    }
    await expectError(open(JSON.stringify(env)), 'VIW_E_ENVELOPE_INVALID');
  });

  it('refuses enc of the wrong length and non-canonical or non-standard base64', async () => {
    const last = env.enc.at(-1)!;
    // Same bytes, different spelling: the last character of 32 bytes carries 2 unused bits.
    const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : last;
    const cases = [
      { ...env, enc: env.enc.slice(0, -1) },
      { ...env, enc: `${env.enc}A` },
      { ...env, enc: `${env.enc.slice(0, -1)}${sibling}` },
      { ...env, ct: `${env.ct}=` },
      { ...env, ct: `${env.ct.slice(0, -1)}-` },
      { ...env, ct: `${env.ct}${'A'.repeat(5 - (env.ct.length % 4))}` }, // 4n+1 chars: not base64
    ];
    for (const bad of cases) await expectError(open(bad), 'VIW_E_ENVELOPE_INVALID');
  });

  it('refuses ids outside [A-Za-z0-9_-]{1,64}', async () => {
    for (const device_id of ['', 'dev 1', 'dév', 'a'.repeat(65), 'dev/1']) {
      await expectError(open({ ...env, aad: { ...env.aad, device_id } }), 'VIW_E_ENVELOPE_INVALID');
    }
  });

  it('refuses exp that is not whole-second RFC 3339 UTC', async () => {
    for (const exp of [
      '2030-02-30T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T00:05:00.000Z',
      '2030-01-01T00:05:00+00:00',
      '2030-01-01 00:05:00Z',
      '1893456300',
    ]) {
      await expectError(open({ ...env, aad: { ...env.aad, exp } }), 'VIW_E_ENVELOPE_INVALID');
    }
  });

  it('refuses an oversize ct before decoding it', async () => {
    const huge = 'A'.repeat(Math.ceil((MAX_CT_BYTES * 4) / 3) + 4);
    await expectError(open({ ...env, ct: huge }), 'VIW_E_ENVELOPE_INVALID');
  });
});

describe('envelope: expiry', () => {
  let pt: Uint8Array;
  let env: Envelope;
  before(async () => {
    pt = plaintextOf(48);
    env = await seal(pt);
  });

  it('exp at or before now is VIW_E_BOOTSTRAP_EXPIRED', async () => {
    await expectError(open(env, { now: EXP }), 'VIW_E_BOOTSTRAP_EXPIRED', pt);
    await expectError(open(env, { now: new Date(EXP.getTime() + 1000) }), 'VIW_E_BOOTSTRAP_EXPIRED', pt);
  });

  it('exp more than 10 minutes ahead is VIW_E_CLOCK_SKEW', async () => {
    const now = new Date(EXP.getTime() - 10 * 60 * 1000 - 1000);
    await expectError(open(env, { now }), 'VIW_E_CLOCK_SKEW', pt);
  });

  it('an invalid now fails closed', async () => {
    await expectError(open(env, { now: new Date(Number.NaN) }), 'VIW_E_INTERNAL', pt);
  });
});

describe('envelope: sealing refuses what opening would refuse', () => {
  const base = () => ({
    recipientPublicKey: publicKey,
    deviceId: DEVICE,
    sessionId: SESSION,
    exp: EXP,
    plaintext: plaintextOf(16),
  });

  it('bad ids, bad exp, empty or oversize plaintext', async () => {
    const cases = [
      { ...base(), deviceId: 'dev 1' },
      { ...base(), sessionId: '' },
      { ...base(), exp: new Date(Number.NaN) },
      { ...base(), exp: new Date('+010000-01-01T00:00:00Z') },
      { ...base(), plaintext: new Uint8Array(0) },
      { ...base(), plaintext: new Uint8Array(MAX_PLAINTEXT_BYTES + 1) },
    ];
    for (const c of cases) await expectError(sealEnvelope(c), 'VIW_E_ENVELOPE_INVALID');
  });

  it('a recipient key that is not 32 bytes', async () => {
    await expectError(
      sealEnvelope({ ...base(), recipientPublicKey: new Uint8Array(31) }),
      'VIW_E_SEAL_OPEN_FAILED',
    );
  });
});
