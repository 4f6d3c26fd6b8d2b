// Admin API: user accounts and phone bind codes. One-time passwords and bind codes are returned
// to the caller once and never stored or logged in the clear.
import type { ListUsersQueryT, UserRole, UserViewT } from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { User } from '../../data/client.js';
import { kdfParamsOf } from '../../data/first-admin-store.js';
import type { AuditService } from '../audit/service.js';
import { clearWrongCodes } from '../auth/code-guesses.js';
import { generateOneTimePassword, hashPassword } from '../auth/passwords.js';
import { endSessions } from '../client/end-sessions.js';
import { issueBindCode } from '../mobile/bind-codes.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import type { AdminDeps } from './credentials.js';
import { iso, isUniqueViolation, pageArgs, pageOf } from './paging.js';

export function userView(audit: AuditService, u: User, now: Date): UserViewT {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    pseudonym: audit.userPseudonym(u.auditId),
    locked: u.locked,
    // A failed-login lockout that has run out is no longer shown.
    locked_until: u.lockedUntil && u.lockedUntil.getTime() > now.getTime() ? iso(u.lockedUntil) : null,
    must_change_password: u.mustChangePassword,
    totp_enrolled: u.totpConfirmedAt !== null,
    last_login_at: iso(u.lastLoginAt),
    created_at: iso(u.createdAt),
  };
}

async function findUser(deps: Pick<AdminDeps, 'db'>, id: string): Promise<User> {
  const user = await deps.db.user.findUnique({ where: { id } });
  if (!user) throw new ViworksError('VIW_E_NOT_FOUND');
  return user;
}

function notSelf(actor: AdminActor, id: string, hint: string): void {
  if (actor.userId === id) throw new ViworksError('VIW_E_CONFLICT', { details: [hint] });
}

async function newOneTimePassword() {
  const password = generateOneTimePassword();
  const passwordHash = await hashPassword(password);
  return { password, passwordHash, kdfParams: kdfParamsOf(passwordHash) };
}

export async function createUser(
  deps: AdminDeps,
  actor: AdminActor,
  body: { username: string; role: UserRole },
): Promise<{ user: UserViewT; one_time_password: string }> {
  const taken = () => new ViworksError('VIW_E_CONFLICT', { details: ['username is taken'] });
  if (await deps.db.user.findUnique({ where: { username: body.username }, select: { id: true } }))
    throw taken();
  const { password, passwordHash, kdfParams } = await newOneTimePassword();
  let user: User;
  try {
    user = await deps.db.user.create({
      data: { username: body.username, role: body.role, passwordHash, kdfParams, mustChangePassword: true },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
  await auditAdmin(deps.audit, actor, {
    action: 'admin.user_create',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return { user: userView(deps.audit, user, deps.now()), one_time_password: password };
}

export async function listUsers(deps: AdminDeps, q: ListUsersQueryT) {
  const { idBelow, orderBy, take } = pageArgs(q);
  const rows = await deps.db.user.findMany({
    where: {
      ...idBelow,
      ...(q.role ? { role: q.role } : {}),
      ...(q.locked ? { locked: q.locked === 'true' } : {}),
    },
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  const now = deps.now();
  return { users: page.items.map((u) => userView(deps.audit, u, now)), next_cursor: page.next_cursor };
}

/** Locks the account (no login anywhere), ends its admin sessions (authEpoch) and VPN sessions. */
export async function lockUser(deps: AdminDeps, actor: AdminActor, id: string) {
  notSelf(actor, id, 'you cannot lock your own account');
  await findUser(deps, id);
  const user = await deps.db.user.update({
    where: { id },
    data: { locked: true, authEpoch: { increment: 1 } },
  });
  const ended = await endSessions(deps.sessionEnd, { userId: id }, 'revoked', { traceId: actor.traceId });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.user_lock',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return { user: userView(deps.audit, user, deps.now()), ended_sessions: ended.length };
}

/** Lifts an administrator's lock and any failed-login lockout (and the wrong-code window with it). */
export async function unlockUser(deps: AdminDeps, actor: AdminActor, id: string) {
  await findUser(deps, id);
  const user = await deps.db.user.update({
    where: { id },
    data: { locked: false, lockedUntil: null, failedLogins: 0 },
  });
  await clearWrongCodes(deps.kv, id);
  await auditAdmin(deps.audit, actor, {
    action: 'admin.user_unlock',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return { user: userView(deps.audit, user, deps.now()), ended_sessions: 0 };
}

/**
 * New one-time password (must be changed at next login: the admin setup flow, or the desktop's
 * POST /auth/password); optionally clears TOTP for re-enrollment. Like a lock, it ends the user's
 * admin sessions (authEpoch) and VPN sessions, and no new VPN session starts until the change.
 */
export async function resetUserPassword(
  deps: AdminDeps,
  actor: AdminActor,
  id: string,
  body: { reset_totp?: boolean | undefined },
) {
  notSelf(actor, id, 'change your own password with POST /admin/password');
  await findUser(deps, id);
  const { password, passwordHash, kdfParams } = await newOneTimePassword();
  const user = await deps.db.user.update({
    where: { id },
    data: {
      passwordHash,
      kdfParams,
      mustChangePassword: true,
      failedLogins: 0,
      lockedUntil: null,
      authEpoch: { increment: 1 },
      ...(body.reset_totp ? { totpSecretSealed: null, totpConfirmedAt: null, totpLastStep: null } : {}),
    },
  });
  const ended = await endSessions(deps.sessionEnd, { userId: id }, 'revoked', { traceId: actor.traceId });
  const target = { result: 'success', targetAuditId: user.auditId } as const;
  await auditAdmin(deps.audit, actor, { action: 'admin.user_password_reset', ...target });
  if (body.reset_totp) await auditAdmin(deps.audit, actor, { action: 'admin.user_totp_reset', ...target });
  return {
    user: userView(deps.audit, user, deps.now()),
    one_time_password: password,
    ended_sessions: ended.length,
  };
}

export async function issueUserBindCode(deps: AdminDeps, actor: AdminActor, id: string) {
  const user = await findUser(deps, id);
  if (user.locked) throw new ViworksError('VIW_E_CONFLICT', { details: ['the user is locked'] });
  const { code, expiresAt } = await issueBindCode(deps.kv, { userId: user.id, issuedBy: actor.userId });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.bind_code_issue',
    result: 'success',
    targetAuditId: user.auditId,
  });
  return { code, expires_at: iso(expiresAt) };
}
