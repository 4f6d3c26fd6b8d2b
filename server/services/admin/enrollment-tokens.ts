// Admin API: fleet enrollment tokens (services/device/enrollment-tokens.ts). The token is returned
// once at creation; lists show only its state, never the token or its hash.
import {
  type CreateEnrollmentTokenBodyT,
  type EnrollmentTokenViewT,
  type ListEnrollmentTokensQueryT,
  MAX_TOKEN_LIFETIME_S,
} from '../../../core/api/admin.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { EnrollmentToken, Prisma } from '../../data/client.js';
import { createEnrollmentToken, type TokenState, tokenState } from '../device/enrollment-tokens.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import type { AdminDeps } from './credentials.js';
import { iso, pageArgs, pageOf } from './paging.js';

export function enrollmentTokenView(t: EnrollmentToken, now: Date): EnrollmentTokenViewT {
  return {
    id: t.id,
    state: tokenState(t, now),
    max_uses: t.maxUses,
    uses: t.uses,
    expires_at: iso(t.expiresAt),
    tags: JSON.parse(t.tags) as string[],
    auto_approve: t.autoApprove,
    created_by: t.createdById,
    created_at: iso(t.createdAt),
    revoked_at: iso(t.revokedAt),
  };
}

/** Exactly one of expires_in_s / expires_at; the result lies between 1 minute and 30 days ahead. */
function expiryOf(body: CreateEnrollmentTokenBodyT, now: Date): Date {
  if ((body.expires_in_s === undefined) === (body.expires_at === undefined)) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: ['/: give exactly one of expires_in_s and expires_at'],
    });
  }
  const at =
    body.expires_at !== undefined
      ? new Date(body.expires_at)
      : new Date(now.getTime() + body.expires_in_s! * 1000);
  const ahead = at.getTime() - now.getTime();
  if (Number.isNaN(ahead) || ahead < 60_000 || ahead > MAX_TOKEN_LIFETIME_S * 1000) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: ['/expires_at: must be 1 minute to 30 days ahead'],
    });
  }
  return at;
}

export async function createToken(deps: AdminDeps, actor: AdminActor, body: CreateEnrollmentTokenBodyT) {
  const now = deps.now();
  const { token, row } = await createEnrollmentToken(deps.db, {
    createdById: actor.userId,
    maxUses: body.max_uses,
    expiresAt: expiryOf(body, now),
    tags: body.tags ?? [],
    autoApprove: body.auto_approve ?? false,
  });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.enroll_token_create',
    result: 'success',
    policy_id: row.id,
  });
  return { token, enrollment_token: enrollmentTokenView(row, now) };
}

function stateWhere(state: TokenState, now: Date, db: AdminDeps['db']): Prisma.EnrollmentTokenWhereInput {
  const maxUses = db.enrollmentToken.fields.maxUses;
  switch (state) {
    case 'revoked':
      return { revokedAt: { not: null } };
    case 'expired':
      return { revokedAt: null, expiresAt: { lte: now } };
    case 'used_up':
      return { revokedAt: null, expiresAt: { gt: now }, uses: { gte: maxUses } };
    case 'valid':
      return { revokedAt: null, expiresAt: { gt: now }, uses: { lt: maxUses } };
  }
}

export async function listTokens(deps: AdminDeps, q: ListEnrollmentTokensQueryT) {
  const now = deps.now();
  const { idBelow, orderBy, take } = pageArgs(q);
  const rows = await deps.db.enrollmentToken.findMany({
    where: { ...idBelow, ...(q.state ? stateWhere(q.state, now, deps.db) : {}) },
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  return {
    enrollment_tokens: page.items.map((t) => enrollmentTokenView(t, now)),
    next_cursor: page.next_cursor,
  };
}

export async function revokeToken(deps: AdminDeps, actor: AdminActor, id: string) {
  const now = deps.now();
  const revoked = await deps.db.enrollmentToken.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: now },
  });
  const row = await deps.db.enrollmentToken.findUnique({ where: { id } });
  if (!row) throw new ViworksError('VIW_E_NOT_FOUND');
  if (revoked.count !== 1)
    throw new ViworksError('VIW_E_CONFLICT', { details: ['the token is already revoked'] });
  await auditAdmin(deps.audit, actor, {
    action: 'admin.enroll_token_revoke',
    result: 'success',
    policy_id: row.id,
  });
  return { enrollment_token: enrollmentTokenView(row, now) };
}
