// OTP building blocks without a server: codes, HMAC, sealing for the phone, transactions in the
// store, the attempt and binding rules, the lockout schedule.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryKv } from '../../kv/memory-kv.js';
import { lockoutDurationMs } from './lockout.js';
import { LoginTxns, OTP_TTL_MS, txnHash } from './login-txns.js';
import { checkOtp, OTP_MAX_ATTEMPTS } from './otp-check.js';
import { newOtpCode, openCode, otpHmac, otpKeys, otpMatches, sealCode } from './otp-codes.js';

const keys = otpKeys(randomBytes(32));
const base = {
  purpose: 'login' as const,
  signerKeyId: 'dev-1',
  deviceId: 'dev-1',
  deviceName: 'build-box',
  devicePlatform: 'linux',
  sourceIp: '192.0.2.7',
};
const attempt = (txnId: string, code: string, over: object = {}) => ({
  txnId,
  code,
  purpose: 'login' as const,
  signerKeyId: 'dev-1',
  sourceIp: '192.0.2.7',
  ...over,
});

describe('otp codes', () => {
  it('are six uniformly drawn digits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = newOtpCode();
      assert.match(c, /^\d{6}$/);
      seen.add(c[0]!);
    }
    assert.equal(seen.size, 10, 'leading zeros happen');
  });

  it('verify only through the HMAC bound to their transaction', () => {
    const h = otpHmac(keys, 'txn-a', '123456').toString('hex');
    assert.ok(otpMatches(keys, 'txn-a', '123456', h));
    assert.ok(!otpMatches(keys, 'txn-b', '123456', h));
    assert.ok(!otpMatches(keys, 'txn-a', '123457', h));
    assert.ok(!otpMatches(otpKeys(randomBytes(32)), 'txn-a', '123456', h));
  });

  it('sealed for the phone open only with the same key, user and transaction', () => {
    const sealed = sealCode(keys, '004711', 'user-1\0txn');
    assert.ok(!sealed.includes('004711'));
    assert.equal(openCode(keys, sealed, 'user-1\0txn'), '004711');
    assert.equal(openCode(keys, sealed, 'user-2\0txn'), null);
    assert.equal(openCode(otpKeys(randomBytes(32)), sealed, 'user-1\0txn'), null);
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[13]! ^= 1;
    assert.equal(openCode(keys, flipped.toString('base64url'), 'user-1\0txn'), null);
  });
});

describe('login transactions and checkOtp', () => {
  const setup = () => {
    let now = 1_000_000;
    const kv = new MemoryKv(() => now);
    const txns = new LoginTxns(kv, keys, () => now);
    return { kv, txns, clock: { advance: (ms: number) => (now += ms), now: () => now } };
  };

  it('keeps the code only sealed and HMAC’d; the phone entry opens to the code; one use', async () => {
    const { kv, txns, clock } = setup();
    const { txnId, expiresAt } = await txns.createGenuine('user-1', base);
    assert.equal(expiresAt - clock.now(), OTP_TTL_MS);
    const pending = await txns.pendingFor('user-1');
    assert.ok(pending);
    const stored = `${await kv.get(`otp:txn:${txnHash(txnId)}`)}${await kv.get('otp:user:user-1')}`;
    assert.ok(!stored.includes(pending.code), 'the store holds no readable code');
    const ok = await checkOtp(txns, keys, attempt(txnId, pending.code), clock.now());
    assert.equal(ok.ok, true);
    assert.equal(await txns.pendingFor('user-1'), null);
    const again = await checkOtp(txns, keys, attempt(txnId, pending.code), clock.now());
    assert.equal(again.ok ? 'ok' : again.code, 'VIW_E_OTP_EXPIRED');
    await kv.close();
  });

  it('binds the code to the signing device and the source address', async () => {
    const { kv, txns, clock } = setup();
    const { txnId } = await txns.createGenuine('user-1', base);
    const code = (await txns.pendingFor('user-1'))!.code;
    for (const over of [{ signerKeyId: 'dev-2' }, { sourceIp: '192.0.2.8' }, { purpose: 'enroll' }]) {
      const r = await checkOtp(txns, keys, attempt(txnId, code, over), clock.now());
      assert.equal(r.ok, false);
    }
    assert.equal((await checkOtp(txns, keys, attempt(txnId, code), clock.now())).ok, true);
    await kv.close();
  });

  it('allows five attempts; the fifth wrong one ends the transaction', async () => {
    const { kv, txns, clock } = setup();
    const { txnId } = await txns.createGenuine('user-1', base);
    const code = (await txns.pendingFor('user-1'))!.code;
    const bad = code === '000000' ? '000001' : '000000';
    const codes: string[] = [];
    for (let i = 0; i < OTP_MAX_ATTEMPTS; i++) {
      const r = await checkOtp(txns, keys, attempt(txnId, bad), clock.now());
      codes.push(r.ok ? 'ok' : `${r.code}${r.died ? '+died' : ''}`);
    }
    assert.deepEqual(codes, [...Array(4).fill('VIW_E_OTP_INVALID'), 'VIW_E_OTP_ATTEMPTS+died']);
    const sixth = await checkOtp(txns, keys, attempt(txnId, code), clock.now());
    assert.equal(sixth.ok ? 'ok' : `${sixth.code}${sixth.died ? '+died' : ''}`, 'VIW_E_OTP_ATTEMPTS');
    await kv.close();
  });

  it('expires after 120 s, and a decoy never verifies or shows on a phone', async () => {
    const { kv, txns, clock } = setup();
    const { txnId } = await txns.createGenuine('user-1', base);
    const code = (await txns.pendingFor('user-1'))!.code;
    clock.advance(OTP_TTL_MS);
    assert.equal(await txns.pendingFor('user-1'), null);
    const late = await checkOtp(txns, keys, attempt(txnId, code), clock.now());
    assert.equal(late.ok ? 'ok' : late.code, 'VIW_E_OTP_EXPIRED');

    const decoy = await txns.createDecoy(base);
    for (let c = 0; c < 5; c++) {
      const r = await checkOtp(txns, keys, attempt(decoy.txnId, String(c).padStart(6, '0')), clock.now());
      assert.equal(r.ok, false);
      assert.equal(r.ok ? false : r.died, false, 'a decoy never counts against anyone');
    }
    await kv.close();
  });
});

describe('lockout schedule', () => {
  it('is free for four failures, then doubles from one minute up to an hour', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 30].map((n) => lockoutDurationMs(n) / 60_000);
    assert.deepEqual(minutes, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
});
