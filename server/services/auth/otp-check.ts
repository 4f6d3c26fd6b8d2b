// Checks a code against a transaction: one-time, bound to the transaction, the signing key and the
// source address, at most OTP_MAX_ATTEMPTS tries. The fifth wrong try ends the transaction (the
// caller counts it against the user's lockout); any later try gets VIW_E_OTP_ATTEMPTS.
import type { ErrorCode } from '../../../core/errors/catalogue.js';
import { type LoginTxns, type TxnPurpose, type TxnRecord, txnHash } from './login-txns.js';
import { type OtpKeys, otpMatches } from './otp-codes.js';

export const OTP_MAX_ATTEMPTS = 5;

export interface OtpAttempt {
  readonly txnId: string;
  readonly code: string;
  readonly purpose: TxnPurpose;
  /** The key id that signed this verification request. */
  readonly signerKeyId: string;
  readonly sourceIp: string;
}

export type OtpOutcome =
  | { readonly ok: true; readonly record: TxnRecord }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly record: TxnRecord | null;
      /** True when this attempt ended a genuine transaction (counts as one failed login). */
      readonly died: boolean;
      /** A wrong code from the transaction's own device and address: a real guess, which the caller
       * counts against the account's ceiling (code-guesses.ts). */
      readonly guessed: boolean;
      /** Why, for the audit trail (never a value). */
      readonly reason: string;
      /** Safe details for the caller (never a value). */
      readonly details?: readonly string[];
    };

const fail = (
  code: ErrorCode,
  record: TxnRecord | null,
  reason: string,
  opts: { died?: boolean; guessed?: boolean; details?: readonly string[] } = {},
): OtpOutcome => ({
  ok: false,
  code,
  record,
  died: opts.died ?? false,
  guessed: opts.guessed ?? false,
  reason,
  ...(opts.details ? { details: opts.details } : {}),
});

export async function checkOtp(
  txns: LoginTxns,
  keys: OtpKeys,
  a: OtpAttempt,
  now: number,
): Promise<OtpOutcome> {
  const record = await txns.read(a.txnId);
  if (!record || record.purpose !== a.purpose) return fail('VIW_E_OTP_EXPIRED', null, 'unknown transaction');
  if (record.expiresAt <= now) {
    await txns.end(a.txnId, record.userId);
    return fail('VIW_E_OTP_EXPIRED', record, 'code expired');
  }
  if (await txns.isDenied(a.txnId)) return fail('VIW_E_OTP_DENIED', record, 'denied on phone');
  const attempts = await txns.countAttempt(a.txnId);
  if (attempts > OTP_MAX_ATTEMPTS) return fail('VIW_E_OTP_ATTEMPTS', record, 'attempts exhausted');

  // Every check runs on every attempt; only the combined verdict branches.
  const codeOk = otpMatches(keys, txnHash(a.txnId), a.code, record.codeHmac);
  const bound = record.signerKeyId === a.signerKeyId && record.sourceIp === a.sourceIp;
  if (!(codeOk && bound && !record.decoy)) {
    const moved = record.signerKeyId === a.signerKeyId && record.sourceIp !== a.sourceIp;
    const reason = bound ? 'wrong code' : moved ? 'source address changed' : 'other device';
    const guessed = bound && !record.decoy;
    if (attempts < OTP_MAX_ATTEMPTS) {
      // The signer holds the device key: it may learn why, so a NAT change is not taken for a typo.
      const details = moved ? ['source address changed since the login; log in again'] : undefined;
      return fail('VIW_E_OTP_INVALID', record, reason, { guessed, ...(details ? { details } : {}) });
    }
    if (record.userId) await txns.clearPhone(record.userId, a.txnId);
    return fail('VIW_E_OTP_ATTEMPTS', record, `${reason}; attempts exhausted`, {
      died: !record.decoy,
      guessed,
    });
  }
  const taken = await txns.take(a.txnId);
  if (!taken) return fail('VIW_E_OTP_EXPIRED', record, 'already used');
  if (record.userId) await txns.clearPhone(record.userId, a.txnId);
  // A deny that raced this verification still wins: the phone said no.
  if (await txns.isDenied(a.txnId)) return fail('VIW_E_OTP_DENIED', record, 'denied on phone');
  return { ok: true, record: taken };
}
