// Admin API login and sessions. Login = password, plus the TOTP code once the account has one.
// An account that still has to change its one-time password or enroll TOTP gets a restricted
// `setup` session (routes declared `self` only); finishing setup ends it and asks for a full login.
// Every failure answers the same VIW_E_AUTH_FAILED (unknown user, `User` role, wrong password,
// missing/wrong/replayed code), so the reply never tells which factor was wrong.
import {
  ADMIN_ROLES,
  type AdminPermission,
  type AuthReplyT,
  ROLE_PERMISSIONS,
  type SetupStep,
  type UserRole,
} from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { User } from '../../data/client.js';
import { countWrongCode } from '../auth/code-guesses.js';
import { clearFailures, isLocked, recordFailure } from '../auth/lockout.js';
import { burnPasswordCheck } from '../auth/password-check.js';
import { verifyPassword } from '../auth/passwords.js';
import { type AdminActor, auditAdmin, type RequestMeta } from './audit-events.js';
import { type AdminDeps, acceptTotpCode } from './credentials.js';
import { type AdminSessionClaims, AdminSessionTokens } from './session-tokens.js';

export function adminSessions(deps: Pick<AdminDeps, 'kv' | 'now'>): AdminSessionTokens {
  return new AdminSessionTokens(deps.kv, deps.now);
}

export function permissionsOf(role: UserRole): AdminPermission[] {
  return role === 'User' ? [] : [...ROLE_PERMISSIONS[role]];
}

export function isAdminRole(role: UserRole): role is (typeof ADMIN_ROLES)[number] {
  return (ADMIN_ROLES as readonly string[]).includes(role);
}

export function requiredSteps(user: Pick<User, 'mustChangePassword' | 'totpConfirmedAt'>): SetupStep[] {
  const steps: SetupStep[] = [];
  if (user.mustChangePassword) steps.push('password_change');
  if (!user.totpConfirmedAt) steps.push('totp_enroll');
  return steps;
}

export function actorOf(user: User, meta: RequestMeta): AdminActor {
  return { ...meta, userId: user.id, auditId: user.auditId, username: user.username, role: user.role };
}

/**
 * What a user who just proved themselves may do next. A full session needs the setup finished AND
 * a TOTP code verified by the login that started this chain; setup finished without one (first
 * enrollment) means "log in again".
 */
export async function nextAuthState(
  deps: Pick<AdminDeps, 'kv' | 'now'>,
  user: User,
  mfa: boolean,
): Promise<AuthReplyT> {
  const required = requiredSteps(user);
  const base = { username: user.username, role: user.role, required };
  if (required.length === 0 && !mfa) return { state: 'login_required', ...base, permissions: [] };
  const scope = required.length === 0 ? 'full' : 'setup';
  const { token, claims } = await adminSessions(deps).issue({
    userId: user.id,
    scope,
    epoch: user.authEpoch,
    mfa,
  });
  return {
    state: scope === 'full' ? 'ok' : 'setup_required',
    token,
    expires_at: new Date(claims.expiresAt).toISOString(),
    idle_timeout_s: claims.idleMs / 1000,
    ...base,
    permissions: scope === 'full' ? permissionsOf(user.role) : [],
  };
}

export async function adminLogin(
  deps: AdminDeps,
  body: { username: string; password: string; totp?: string | undefined },
  meta: RequestMeta,
): Promise<AuthReplyT> {
  const user = await deps.db.user.findUnique({ where: { username: body.username } });
  // Every refusal answers the same 401 after the same single KDF run; the audit keeps the truth
  // (a lock is `denied` with VIW_E_ACCOUNT_LOCKED), visible to the account's owner and to admins
  // through the audit and the users list — never to whoever is trying names at the login.
  const refuse = async (result: 'failure' | 'denied', code: 'VIW_E_AUTH_FAILED' | 'VIW_E_ACCOUNT_LOCKED') => {
    await auditAdmin(deps.audit, meta, {
      action: 'admin.login',
      result,
      targetAuditId: user?.auditId ?? null,
      error_code: code,
    });
    return new ViworksError('VIW_E_AUTH_FAILED');
  };
  if (!user || !isAdminRole(user.role)) {
    await burnPasswordCheck(body.password);
    throw await refuse('failure', 'VIW_E_AUTH_FAILED');
  }
  const now = deps.now();
  // Checked before the password, so a locked account is no oracle for guessing it.
  if (isLocked(user, now)) {
    await burnPasswordCheck(body.password);
    throw await refuse('denied', 'VIW_E_ACCOUNT_LOCKED');
  }
  const passwordOk = await verifyPassword(body.password, user.passwordHash);
  const totpNeeded = user.totpConfirmedAt !== null;
  // The code is only checked (and its step spent) after the password proved right.
  const totp = passwordOk && totpNeeded ? body.totp : undefined;
  const codeTried = totp !== undefined;
  const mfa = codeTried ? (await acceptTotpCode(deps, user, totp)) !== null : false;
  if (!passwordOk || (totpNeeded && !mfa)) {
    // A wrong code also counts against the account's ceiling across logins (auth/code-guesses.ts).
    const guess = codeTried ? await countWrongCode(deps, user.id) : null;
    const { lockedUntil } = guess?.lockedUntil ? guess : await recordFailure(deps.db, user.id, now);
    const err = await refuse('failure', 'VIW_E_AUTH_FAILED');
    if (lockedUntil) {
      await auditAdmin(deps.audit, meta, {
        action: 'admin.account_lockout',
        result: 'denied',
        targetAuditId: user.auditId,
        severity: 'warning',
        error_msg: guess?.lockedUntil ? `${guess.guesses} wrong codes within the window` : null,
      });
    }
    throw err;
  }
  await clearFailures(deps.db, user.id);
  const fresh = await deps.db.user.update({ where: { id: user.id }, data: { lastLoginAt: now } });
  const reply = await nextAuthState(deps, fresh, mfa);
  await auditAdmin(deps.audit, actorOf(fresh, meta), {
    action: 'admin.login',
    result: 'success',
    targetAuditId: fresh.auditId,
    error_msg: reply.state === 'ok' ? null : 'setup required',
  });
  return reply;
}

/** A live admin session and its account, or null (unknown/idle/expired token, account locked,
 * role no longer allowed, or credentials changed since: authEpoch). Dead sessions are revoked. */
export async function resolveAdminSession(
  deps: Pick<AdminDeps, 'db' | 'kv' | 'now'>,
  token: string,
): Promise<{ claims: AdminSessionClaims; user: User } | null> {
  const sessions = adminSessions(deps);
  const claims = await sessions.authenticate(token);
  if (!claims) return null;
  const user = await deps.db.user.findUnique({ where: { id: claims.userId } });
  if (!user || user.locked || !isAdminRole(user.role) || user.authEpoch !== claims.epoch) {
    await sessions.revoke(token);
    return null;
  }
  return { claims, user };
}

/**
 * Whether a session the guard accepted is still alive and its account may still use it — the same
 * checks as resolveAdminSession, without sliding the idle deadline (open event streams ask this).
 */
export async function adminSessionAlive(
  deps: Pick<AdminDeps, 'db' | 'kv' | 'now'>,
  token: string,
): Promise<boolean> {
  const claims = await adminSessions(deps).peek(token);
  if (!claims) return false;
  const user = await deps.db.user.findUnique({
    where: { id: claims.userId },
    select: { locked: true, role: true, authEpoch: true },
  });
  return !!user && !user.locked && isAdminRole(user.role) && user.authEpoch === claims.epoch;
}

export async function adminLogout(deps: AdminDeps, token: string, actor: AdminActor): Promise<void> {
  await adminSessions(deps).revoke(token);
  await auditAdmin(deps.audit, actor, {
    action: 'admin.logout',
    result: 'success',
    targetAuditId: actor.auditId,
  });
}
