// Self-service change of a one-time password from the desktop (accounts created or reset by an
// administrator carry must_change_password; role `User` cannot reach the admin API to change it).
//
//   POST /auth/verify   password + phone code right, must_change_password set
//                       → `password_change_required` + a one-time password token (nothing else:
//                         no access token, no bootstrap grant)
//   POST /auth/password {password_token, new_password}, signed by the same device, same address
//                       → new password set, must_change_password cleared, authEpoch bumped
//                       → `login_required`: the user logs in again normally
//
// The token (`viw_pw_…`, only its SHA-256 in the shared store) lives 5 minutes and is bound to the
// user, the device, the login transaction, the source address and the account's authEpoch: a
// lock, a reset or any other credential change since it was issued voids it. It is taken (one-time)
// only when the change is made, so a new password that breaks the rules can be corrected with the
// same token; anything wrong about the token itself is VIW_E_TOKEN_INVALID.
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { DesktopDevice, User } from '../../data/client.js';
import { kdfParamsOf } from '../../data/first-admin-store.js';
import type { KvStore } from '../../kv/kv-store.js';
import type { AuditTrail } from '../audit/trail.js';
import { sameSource } from './grants.js';
import type { IdentityDeps } from './identity.js';
import { isLocked } from './lockout.js';
import { assertNewPassword } from './password-check.js';
import { hashPassword } from './passwords.js';
import { TokenStore } from './tokens.js';

export const PASSWORD_TOKEN_TTL_MS = 5 * 60_000;

export interface PasswordTokenClaims {
  readonly userId: string;
  readonly deviceId: string;
  /** The address that passed the OTP; the change must come from it too. */
  readonly sourceIp: string;
  readonly loginTxnId: string;
  /** The account's authEpoch when issued; any credential or lock change since voids the token. */
  readonly authEpoch: number;
  readonly issuedAt: number;
}

export function passwordTokens(kv: KvStore): TokenStore<PasswordTokenClaims> {
  return new TokenStore<PasswordTokenClaims>(kv, 'pw');
}

/** Issued by verify instead of the login tokens when the account must change its password. */
export async function issuePasswordToken(
  kv: KvStore,
  user: Pick<User, 'id' | 'authEpoch'>,
  bound: { readonly deviceId: string; readonly sourceIp: string; readonly loginTxnId: string },
  now: number,
): Promise<{ token: string; expiresAt: number }> {
  const claims: PasswordTokenClaims = { userId: user.id, authEpoch: user.authEpoch, issuedAt: now, ...bound };
  const token = await passwordTokens(kv).issue(claims, PASSWORD_TOKEN_TTL_MS);
  return { token, expiresAt: now + PASSWORD_TOKEN_TTL_MS };
}

export interface PasswordChangeInput {
  readonly passwordToken: string;
  readonly newPassword: string;
  readonly sourceIp: string;
}

const invalid = (trail: AuditTrail, reason: string, details?: string[]) => {
  trail.note(reason);
  return new ViworksError('VIW_E_TOKEN_INVALID', details ? { details } : {});
};

export async function changePasswordWithToken(
  deps: IdentityDeps,
  trail: AuditTrail,
  device: DesktopDevice,
  input: PasswordChangeInput,
): Promise<void> {
  const tokens = passwordTokens(deps.kv);
  const claims = await tokens.read(input.passwordToken);
  if (!claims) throw invalid(trail, 'unknown, expired or used password token');
  const user = await deps.db.user.findUnique({ where: { id: claims.userId } });
  trail.user(user?.auditId);
  // A token presented by another device is refused and left alone: its holder may still use it.
  if (!user || claims.deviceId !== device.id || device.userId !== user.id) {
    throw invalid(trail, 'password token of another device');
  }
  if (!sameSource(claims.sourceIp, input.sourceIp)) {
    throw invalid(trail, 'source address changed', ['source address changed since the login; log in again']);
  }
  if (isLocked(user, deps.now())) throw new ViworksError('VIW_E_ACCOUNT_LOCKED');
  if (!user.mustChangePassword || user.authEpoch !== claims.authEpoch) {
    await tokens.revoke(input.passwordToken);
    throw invalid(trail, 'credentials or lock changed since the token was issued');
  }
  await assertNewPassword(user, input.newPassword);
  const passwordHash = await hashPassword(input.newPassword);
  if (!(await tokens.take(input.passwordToken))) throw invalid(trail, 'password token already used');
  // Conditional: a reset, lock or concurrent change that landed meanwhile wins.
  const changed = await deps.db.user.updateMany({
    where: { id: user.id, authEpoch: claims.authEpoch, mustChangePassword: true, locked: false },
    data: {
      passwordHash,
      kdfParams: kdfParamsOf(passwordHash),
      mustChangePassword: false,
      authEpoch: { increment: 1 },
    },
  });
  if (changed.count !== 1) throw invalid(trail, 'credentials or lock changed since the token was issued');
  trail.note('one-time password replaced; log in again');
}
