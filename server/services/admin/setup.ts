// The caller's own credentials: password change (first login or later) and TOTP enrollment.
// Each change bumps the account's authEpoch (ending every other session of that account) and
// answers with the next state: a fresh session token, or "log in again" once setup is finished.
import type { AuthReplyT } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { User } from '../../data/client.js';
import { kdfParamsOf } from '../../data/first-admin-store.js';
import { countWrongCode } from '../auth/code-guesses.js';
import { assertNewPassword } from '../auth/password-check.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { RateRule } from '../rate-limit.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import { adminSessions, nextAuthState } from './auth.js';
import { type AdminDeps, acceptTotpCode } from './credentials.js';
import type { AdminSessionClaims } from './session-tokens.js';
import { base32Encode, newTotpSecret, otpauthUri } from './totp.js';
import { sealTotpSecret } from './totp-seal.js';

/** Wrong current passwords and wrong enrollment codes, per account. */
const SETUP_RULE: RateRule = { name: 'admin-setup', limit: 10, windowMs: 60_000 };

export interface OwnSession {
  readonly token: string;
  readonly claims: AdminSessionClaims;
  readonly user: User;
  readonly actor: AdminActor;
}

async function finish(deps: AdminDeps, own: OwnSession): Promise<AuthReplyT> {
  await adminSessions(deps).revoke(own.token);
  const fresh = await deps.db.user.findUniqueOrThrow({ where: { id: own.user.id } });
  return nextAuthState(deps, fresh, own.claims.mfa);
}

export async function changeOwnPassword(
  deps: AdminDeps,
  own: OwnSession,
  body: { current_password: string; new_password: string },
): Promise<AuthReplyT> {
  const { user, actor } = own;
  await deps.rate.hit(SETUP_RULE, user.id);
  if (!(await verifyPassword(body.current_password, user.passwordHash))) {
    await auditAdmin(deps.audit, actor, {
      action: 'admin.password_change',
      result: 'failure',
      targetAuditId: user.auditId,
      error_code: 'VIW_E_AUTH_FAILED',
    });
    throw new ViworksError('VIW_E_AUTH_FAILED', { details: ['current_password is wrong'] });
  }
  await assertNewPassword(user, body.new_password);
  const passwordHash = await hashPassword(body.new_password);
  const changed = await deps.db.user.updateMany({
    where: { id: user.id, authEpoch: own.claims.epoch },
    data: {
      passwordHash,
      kdfParams: kdfParamsOf(passwordHash),
      mustChangePassword: false,
      authEpoch: { increment: 1 },
    },
  });
  if (changed.count !== 1) throw new ViworksError('VIW_E_TOKEN_INVALID');
  await auditAdmin(deps.audit, actor, {
    action: 'admin.password_change',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return finish(deps, own);
}

export interface TotpEnrollment {
  secret: string;
  otpauth_uri: string;
  algorithm: 'SHA1';
  digits: 6;
  period_s: 30;
}

/** Starts (or restarts) enrollment: a new secret, shown once, usable only after confirmation. */
export async function enrollOwnTotp(deps: AdminDeps, own: OwnSession): Promise<TotpEnrollment> {
  const { user, actor } = own;
  if (user.totpConfirmedAt) {
    throw new ViworksError('VIW_E_CONFLICT', {
      details: ['TOTP is already enrolled; an administrator can reset it'],
    });
  }
  const secret = newTotpSecret();
  try {
    const stored = await deps.db.user.updateMany({
      where: { id: user.id, authEpoch: own.claims.epoch, totpConfirmedAt: null },
      data: {
        totpSecretSealed: sealTotpSecret(deps.secrets.adminTotpKey, user.id, secret),
        totpLastStep: null,
      },
    });
    if (stored.count !== 1) throw new ViworksError('VIW_E_TOKEN_INVALID');
    const b32 = base32Encode(secret);
    await auditAdmin(deps.audit, actor, {
      action: 'admin.totp_enroll',
      result: 'success',
      targetAuditId: user.auditId,
    });
    return {
      secret: b32,
      otpauth_uri: otpauthUri(b32, user.username),
      algorithm: 'SHA1',
      digits: 6,
      period_s: 30,
    };
  } finally {
    secret.fill(0);
  }
}

/** Proves the authenticator holds the secret; its step is spent, so the same code cannot log in. */
export async function confirmOwnTotp(deps: AdminDeps, own: OwnSession, code: string): Promise<AuthReplyT> {
  const { actor } = own;
  await deps.rate.hit(SETUP_RULE, own.user.id);
  // Re-read: enrollment may have happened earlier in this same session.
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: own.user.id } });
  if (user.totpConfirmedAt)
    throw new ViworksError('VIW_E_CONFLICT', { details: ['TOTP is already enrolled'] });
  if (!user.totpSecretSealed) {
    throw new ViworksError('VIW_E_CONFLICT', { details: ['start with POST /admin/totp/enroll'] });
  }
  const step = await acceptTotpCode(deps, { ...user, authEpoch: own.claims.epoch }, code, { confirm: true });
  if (step === null) {
    await auditAdmin(deps.audit, actor, {
      action: 'admin.totp_confirm',
      result: 'failure',
      targetAuditId: user.auditId,
      error_code: 'VIW_E_OTP_INVALID',
    });
    // The same per-account ceiling as every other code; a lock bumps authEpoch, ending this session.
    const guess = await countWrongCode(deps, user.id);
    if (guess.lockedUntil) {
      await auditAdmin(deps.audit, actor, {
        action: 'admin.account_lockout',
        result: 'denied',
        targetAuditId: user.auditId,
        severity: 'warning',
        error_msg: `${guess.guesses} wrong codes within the window`,
      });
    }
    throw new ViworksError('VIW_E_OTP_INVALID');
  }
  await auditAdmin(deps.audit, actor, {
    action: 'admin.totp_confirm',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return finish(deps, own);
}
