// Login and enrollment transactions waiting for the phone code, in the shared KvStore (Redis when
// scaled out; never the database). Keys, all with TTLs:
//   otp:txn:<sha256(txn_id)>   the transaction (code only as HMAC), OTP lifetime + grace so an
//                              expired code is told apart from an unknown transaction
//   otp:att:<sha256(txn_id)>   attempt counter (atomic incr, so instances count together)
//   otp:deny:<sha256(txn_id)>  set when the phone denied the transaction
//   otp:user:<user id>         the user's one pending challenge as the phone sees it, the code
//                              AES-GCM sealed (otp-codes.ts); TTL = the OTP lifetime
// A user has at most one live challenge: a new genuine login ends the previous one. Decoy
// transactions (anti-enumeration) look the same from outside and can never verify.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DeviceKeyType, KeyProtection } from '../../../core/api/device.js';
import type { ProcessPosture } from '../../../core/api/posture.js';
import type { KvStore } from '../../kv/kv-store.js';
import { newOtpCode, type OtpKeys, openCode, otpHmac, sealCode } from './otp-codes.js';

export const OTP_TTL_MS = 120_000;
const GRACE_MS = 60_000;

export type TxnPurpose = 'login' | 'enroll';

/** A desktop waiting to be enrolled (OTP path); the device row is created on confirmation. */
export interface PendingEnrollment {
  readonly hpkePublicKey: string;
  readonly signingPublicKey: string;
  readonly fingerprint: string;
  readonly platform: string;
  /** The name the desktop proposed (normalized), or null. */
  readonly name: string | null;
  readonly clientVersion: string;
  readonly keyProtection: KeyProtection;
  /** Absent in transactions written before key types existed: x25519_ed25519. */
  readonly keyType?: DeviceKeyType;
}

export interface TxnRecord {
  readonly v: 1;
  readonly purpose: TxnPurpose;
  readonly decoy: boolean;
  readonly userId: string | null;
  /** The key id that must sign the verification: the device id (login) or fingerprint (enroll). */
  readonly signerKeyId: string;
  readonly deviceId: string | null;
  readonly sourceIp: string;
  readonly codeHmac: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly deviceNonce: string | null;
  readonly enrollment: PendingEnrollment | null;
  /** A login's declared hardening (core/api/posture.ts), carried into the access claims. */
  readonly hardened?: boolean;
  /** The version the login's daemon reported (auth v5), carried into the access claims; absent: none. */
  readonly clientVersion?: string;
  /** The login's declared hardening itself, recorded on the device when the login completes; absent: none. */
  readonly posture?: ProcessPosture;
}

export interface NewTxn {
  readonly purpose: TxnPurpose;
  readonly signerKeyId: string;
  readonly deviceId: string | null;
  /** Shown on the phone: the device record's name, or the name an enrolling desktop proposed. */
  readonly deviceName: string | null;
  readonly devicePlatform: string;
  readonly sourceIp: string;
  readonly deviceNonce?: string;
  readonly enrollment?: PendingEnrollment;
  readonly hardened?: boolean;
  readonly clientVersion?: string;
  readonly posture?: ProcessPosture;
}

/** What GET /mobile/otp returns to the user's phone (the code opened from its sealed form). */
export interface PhoneChallenge {
  readonly txnId: string;
  readonly code: string;
  readonly purpose: TxnPurpose;
  readonly expiresAt: number;
  readonly context: {
    readonly sourceIp: string;
    readonly deviceId: string | null;
    readonly deviceName: string | null;
    readonly devicePlatform: string;
    readonly requestedAt: number;
  };
}

type StoredPhoneEntry = Omit<PhoneChallenge, 'code'> & { readonly sealed: string };

export const txnHash = (txnId: string) => createHash('sha256').update(txnId, 'utf8').digest('hex');
const K = {
  txn: (h: string) => `otp:txn:${h}`,
  att: (h: string) => `otp:att:${h}`,
  deny: (h: string) => `otp:deny:${h}`,
  user: (userId: string) => `otp:user:${userId}`,
};
const aadFor = (userId: string, hash: string) => `${userId}\0${hash}`;

export class LoginTxns {
  /** Wakes long-polling phones on this instance; other instances notice by polling the store. */
  private readonly wake = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly kv: KvStore,
    private readonly keys: OtpKeys,
    private readonly now: () => number,
  ) {}

  /** A real challenge: the code goes (sealed) to the user's phone entry, HMAC'd into the txn. */
  async createGenuine(userId: string, t: NewTxn): Promise<{ txnId: string; expiresAt: number }> {
    const code = newOtpCode();
    const { txnId, hash, record } = this.build(userId, t, (h) => otpHmac(this.keys, h, code).toString('hex'));
    const previous = await this.readPhoneEntry(userId);
    if (previous) await this.end(previous.txnId, userId);
    await this.kv.set(K.txn(hash), JSON.stringify(record), OTP_TTL_MS + GRACE_MS);
    const entry: StoredPhoneEntry = {
      txnId,
      purpose: t.purpose,
      expiresAt: record.expiresAt,
      sealed: sealCode(this.keys, code, aadFor(userId, hash)),
      context: {
        sourceIp: t.sourceIp,
        deviceId: t.deviceId,
        deviceName: t.deviceName,
        devicePlatform: t.devicePlatform,
        requestedAt: record.createdAt,
      },
    };
    await this.kv.set(K.user(userId), JSON.stringify(entry), OTP_TTL_MS);
    this.wake.emit(userId);
    return { txnId, expiresAt: record.expiresAt };
  }

  /** A transaction indistinguishable from outside that no code opens and no phone sees. */
  async createDecoy(t: NewTxn): Promise<{ txnId: string; expiresAt: number }> {
    const { txnId, hash, record } = this.build(null, t, () => randomBytes(32).toString('hex'));
    await this.kv.set(K.txn(hash), JSON.stringify(record), OTP_TTL_MS + GRACE_MS);
    return { txnId, expiresAt: record.expiresAt };
  }

  private build(userId: string | null, t: NewTxn, hmac: (hash: string) => string) {
    const txnId = `viw_tx_${randomBytes(32).toString('base64url')}`;
    const hash = txnHash(txnId);
    const createdAt = this.now();
    const record: TxnRecord = {
      v: 1,
      purpose: t.purpose,
      decoy: userId === null,
      userId,
      signerKeyId: t.signerKeyId,
      deviceId: t.deviceId,
      sourceIp: t.sourceIp,
      codeHmac: hmac(hash),
      createdAt,
      expiresAt: createdAt + OTP_TTL_MS,
      deviceNonce: t.deviceNonce ?? null,
      enrollment: t.enrollment ?? null,
      ...(t.hardened !== undefined ? { hardened: t.hardened } : {}),
      ...(t.clientVersion !== undefined ? { clientVersion: t.clientVersion } : {}),
      ...(t.posture !== undefined ? { posture: t.posture } : {}),
    };
    return { txnId, hash, record };
  }

  async read(txnId: string): Promise<TxnRecord | null> {
    const raw = await this.kv.get(K.txn(txnHash(txnId)));
    return raw === null ? null : (JSON.parse(raw) as TxnRecord);
  }

  /** Counts one verification attempt; returns the count including this one. */
  countAttempt(txnId: string): Promise<number> {
    return this.kv.incr(K.att(txnHash(txnId)), OTP_TTL_MS + GRACE_MS);
  }

  /** One-time: the first successful verification takes the transaction, later ones find nothing. */
  async take(txnId: string): Promise<TxnRecord | null> {
    const raw = await this.kv.take(K.txn(txnHash(txnId)));
    return raw === null ? null : (JSON.parse(raw) as TxnRecord);
  }

  async deny(txnId: string, userId: string): Promise<void> {
    await this.kv.set(K.deny(txnHash(txnId)), '1', OTP_TTL_MS + GRACE_MS);
    await this.clearPhone(userId, txnId);
  }

  async isDenied(txnId: string): Promise<boolean> {
    return (await this.kv.get(K.deny(txnHash(txnId)))) !== null;
  }

  /** Ends a transaction: nothing can verify it any more and the phone stops showing it. */
  async end(txnId: string, userId: string | null): Promise<void> {
    await this.kv.del(K.txn(txnHash(txnId)));
    if (userId) await this.clearPhone(userId, txnId);
  }

  /** Removes the phone entry if it still shows `txnId` (a newer challenge is left alone). */
  async clearPhone(userId: string, txnId: string): Promise<void> {
    const entry = await this.readPhoneEntry(userId);
    if (entry?.txnId === txnId) await this.kv.del(K.user(userId));
  }

  private async readPhoneEntry(userId: string): Promise<StoredPhoneEntry | null> {
    const raw = await this.kv.get(K.user(userId));
    return raw === null ? null : (JSON.parse(raw) as StoredPhoneEntry);
  }

  /** The user's pending challenge with its code opened, or null. */
  async pendingFor(userId: string): Promise<PhoneChallenge | null> {
    const entry = await this.readPhoneEntry(userId);
    if (!entry || entry.expiresAt <= this.now()) return null;
    const code = openCode(this.keys, entry.sealed, aadFor(userId, txnHash(entry.txnId)));
    if (code === null) return null;
    const { sealed: _sealed, ...rest } = entry;
    return { ...rest, code };
  }

  /** Resolves after `ms`, when a challenge for `userId` is created here, or when `signal` aborts. */
  waitForChallenge(userId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.wake.off(userId, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.once(userId, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
