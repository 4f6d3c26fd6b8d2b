// Desktop login: password (step 1) then the code from the user's bound phone (step 2).
//
// Step 1 runs only for a request signed by an active enrolled desktop. It answers the same
// `otp_required` shape, after exactly one KDF run, whether the username is unknown, the password
// wrong, or the device belongs to someone else; those get a decoy transaction that no code opens
// and no phone shows. Only a genuine login creates a challenge. The one thing step 1 tells
// differently is a lock of the device owner's own account (only the holder of that user's device
// key can ask, and the password is not checked while locked, so it is no password oracle).
//
// Step 2 (verify) issues the access token and bootstrap grant, bound to user, device and source
// address. An account that must change its one-time password gets neither: only a one-time
// password token for POST /auth/password (password.ts). That is decided here,
// after password and code, so the answer reveals nothing to someone who has neither.
//
// The client version the daemon reports (auth v5) is what the policy's minimum judges, at step 1
// and, carried in the transaction and the claims, at bootstrap; a completed login records it on
// the device (what admins see), so an upgrade is allowed at once and a downgrade is noticed; so are
// its declared posture and its time (login-record.ts), which the admin API's devices show.
import type { ProcessPosture } from '../../../core/api/posture.js';
import { isViworksError, ViworksError } from '../../../core/errors/viworks-error.js';
import type { DesktopDevice } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import { isHardened } from '../policy/facts.js';
import { CODE_GUESS_WINDOW_MS, countWrongCode } from './code-guesses.js';
import {
  ACCESS_TOKEN_TTL_MS,
  type AccessClaims,
  accessTokens,
  BOOTSTRAP_GRANT_TTL_MS,
  bootstrapGrants,
} from './grants.js';
import type { IdentityDeps } from './identity.js';
import { clearFailures, isLocked, recordFailure } from './lockout.js';
import { recordCompletedLogin } from './login-record.js';
import { checkOtp, type OtpOutcome } from './otp-check.js';
import { issuePasswordToken } from './password.js';
import { burnPasswordCheck, checkPassword } from './password-check.js';

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly deviceNonce: string;
  readonly sourceIp: string;
  /** The daemon's process hardening as it declares it (auth v3); null from older daemons. */
  readonly posture: ProcessPosture | null;
  /** The daemon's own version (auth v5, schema-checked); null from older daemons. */
  readonly clientVersion: string | null;
}

export interface LoginStarted {
  readonly txnId: string;
  readonly expiresAt: number;
}

export async function startLogin(
  deps: IdentityDeps,
  trail: AuditTrail,
  device: DesktopDevice,
  input: LoginInput,
): Promise<LoginStarted> {
  const txn = {
    purpose: 'login' as const,
    signerKeyId: device.id,
    deviceId: device.id,
    deviceName: device.name,
    devicePlatform: device.platform,
    sourceIp: input.sourceIp,
    deviceNonce: input.deviceNonce,
    ...(input.posture ? { hardened: isHardened(input.posture), posture: input.posture } : {}),
    ...(input.clientVersion !== null ? { clientVersion: input.clientVersion } : {}),
  };
  if (input.posture) trail.declared(postureText(input.posture));
  const user = await deps.db.user.findUnique({ where: { username: input.username } });
  if (!user || user.id !== device.userId) {
    await burnPasswordCheck(input.password);
    trail.user(user?.auditId);
    trail.failQuietly('VIW_E_AUTH_FAILED', user ? 'device of another user' : 'unknown user');
    return deps.txns.createDecoy(txn);
  }
  trail.user(user.auditId);
  if (isLocked(user, deps.now())) throw new ViworksError('VIW_E_ACCOUNT_LOCKED');
  // The access policy before the password: its answer cannot tell whether the password was right.
  try {
    trail.policy(
      (
        await deps.admit({
          userId: user.id,
          // This login's version, not the one enrolled (the row's shape wants a string).
          device: {
            keyProtection: device.keyProtection,
            clientVersion: input.clientVersion ?? null,
          },
          sourceIp: input.sourceIp,
          posture: input.posture,
        })
      ).policyTag,
    );
  } catch (err) {
    if (isViworksError(err) && err.details[0]) trail.note(err.details[0]);
    throw err;
  }
  if (!(await checkPassword(user, input.password))) {
    await countFailure(deps, trail, user.id);
    trail.failQuietly('VIW_E_AUTH_FAILED', 'wrong password');
    return deps.txns.createDecoy(txn);
  }
  const hasPhone = await deps.db.mobileDevice.count({ where: { userId: user.id, status: 'active' } });
  trail.note(hasPhone > 0 ? 'otp sent to bound phone' : 'no bound phone; code cannot be shown');
  return deps.txns.createGenuine(user.id, txn);
}

/**
 * The posture in the login's audit event (error_msg, after the reason; the normalized event has no
 * free-form field), with the contract's field names:
 * `posture dumpable=0 core_limit_zero=1 mlock=unavailable no_new_privs=1 tracer=0`. Enforcement is
 * the access policy's (posture.require_hardening, checked by admitLogin before the password).
 */
export function postureText(p: ProcessPosture): string {
  const bit = (b: boolean) => (b ? '1' : '0');
  return (
    `posture dumpable=${bit(p.dumpable)} core_limit_zero=${bit(p.core_limit_zero)} mlock=${p.mlock} ` +
    `no_new_privs=${bit(p.no_new_privs)} tracer=${bit(p.tracer)}`
  );
}

/** Counts a failed login against the user and audits a lock when one starts. */
export async function countFailure(deps: IdentityDeps, trail: AuditTrail, userId: string): Promise<void> {
  const { failures, lockedUntil } = await recordFailure(deps.db, userId, deps.now());
  if (lockedUntil) {
    await trail.also(
      'auth.lockout',
      'denied',
      `locked after ${failures} failures until ${lockedUntil.toISOString()}`,
    );
  }
}

/**
 * Settles a refused code of a login or enrollment transaction: a wrong code counts against the
 * account's ceiling across transactions; reaching it locks the account, ends this transaction (the
 * user's only live one, so the right code can no longer be found by trying on). A login answers
 * VIW_E_ACCOUNT_LOCKED (only the user's own enrolled device asks, as with a lock at step 1); an
 * enrollment keeps its usual answer, as its step 1 never tells a lock either. A transaction that
 * died on its fifth wrong code also counts as one failed login.
 */
export async function refuseCode(
  deps: IdentityDeps,
  trail: AuditTrail,
  outcome: Extract<OtpOutcome, { ok: false }>,
  userId: string | null,
  txnId: string,
  tellLock: boolean,
): Promise<never> {
  trail.note(outcome.reason);
  if (userId && outcome.guessed) {
    const verdict = await countWrongCode(deps, userId);
    if (verdict.lockedUntil) {
      await deps.txns.end(txnId, userId);
      await trail.also(
        'auth.lockout',
        'denied',
        `locked after ${verdict.guesses} wrong codes within ${CODE_GUESS_WINDOW_MS / 60_000} min until ${verdict.lockedUntil.toISOString()}`,
      );
      throw new ViworksError(tellLock ? 'VIW_E_ACCOUNT_LOCKED' : outcome.code);
    }
  }
  if (outcome.died && userId) await countFailure(deps, trail, userId);
  throw new ViworksError(outcome.code, outcome.details ? { details: outcome.details } : {});
}

export interface VerifyInput {
  readonly txnId: string;
  readonly code: string;
  readonly sourceIp: string;
}

export type VerifyOutcome =
  | {
      readonly state: 'ok';
      readonly accessToken: string;
      readonly bootstrapGrant: string;
      readonly expiresAt: number;
    }
  | {
      readonly state: 'password_change_required';
      readonly passwordToken: string;
      readonly expiresAt: number;
    };

export async function completeLogin(
  deps: IdentityDeps,
  trail: AuditTrail,
  device: DesktopDevice,
  input: VerifyInput,
): Promise<VerifyOutcome> {
  const now = deps.now();
  const outcome = await checkOtp(
    deps.txns,
    deps.otpKeys,
    {
      txnId: input.txnId,
      code: input.code,
      purpose: 'login',
      signerKeyId: device.id,
      sourceIp: input.sourceIp,
    },
    now.getTime(),
  );
  const userId = outcome.record && !outcome.record.decoy ? outcome.record.userId : null;
  const user = userId ? await deps.db.user.findUnique({ where: { id: userId } }) : null;
  trail.user(user?.auditId);
  if (!outcome.ok) return refuseCode(deps, trail, outcome, user?.id ?? null, input.txnId, true);
  if (!user || user.id !== device.userId) throw new ViworksError('VIW_E_AUTH_FAILED');
  if (isLocked(user, now)) throw new ViworksError('VIW_E_ACCOUNT_LOCKED');
  await clearFailures(deps.db, user.id);
  if (user.mustChangePassword) {
    const bound = { deviceId: device.id, sourceIp: input.sourceIp, loginTxnId: input.txnId };
    const pw = await issuePasswordToken(deps.kv, user, bound, now.getTime());
    // Audited as before: the login is refused (no access), pending the password change.
    trail.failQuietly('VIW_E_PASSWORD_CHANGE_REQUIRED', 'password change required', 'denied');
    return { state: 'password_change_required', passwordToken: pw.token, expiresAt: pw.expiresAt };
  }
  const reported = outcome.record.clientVersion;
  if (reported !== undefined) await noteClientVersion(deps, trail, device, reported);
  await recordCompletedLogin(deps.db, device.id, outcome.record.posture ?? null, now);
  const claims: AccessClaims = {
    userId: user.id,
    deviceId: device.id,
    sourceIp: input.sourceIp,
    loginTxnId: input.txnId,
    issuedAt: now.getTime(),
    ...(outcome.record.hardened !== undefined ? { hardened: outcome.record.hardened } : {}),
    ...(reported !== undefined ? { clientVersion: reported } : {}),
  };
  const accessToken = await accessTokens(deps.kv).issue(claims, ACCESS_TOKEN_TTL_MS);
  const bootstrapGrant = await bootstrapGrants(deps.kv).issue(claims, BOOTSTRAP_GRANT_TTL_MS);
  return { state: 'ok', accessToken, bootstrapGrant, expiresAt: claims.issuedAt + ACCESS_TOKEN_TTL_MS };
}

/**
 * A completed login records the version its daemon reported on the device, so admins see the one
 * in use (not the enrollment's); a change is said in the verify event (`client version A -> B`: a
 * downgrade shows). A login that reported none leaves the record as it was.
 */
async function noteClientVersion(
  deps: IdentityDeps,
  trail: AuditTrail,
  device: DesktopDevice,
  reported: string,
): Promise<void> {
  if (reported === device.clientVersion) return;
  await deps.db.desktopDevice.update({ where: { id: device.id }, data: { clientVersion: reported } });
  trail.note(`client version ${device.clientVersion} -> ${reported}`);
}
