// Fleet enrollment tokens: created by an admin with a use limit, an expiry, tags and an
// auto-approve flag; shown once (only the SHA-256 is stored); consumed atomically by
// POST /device/enroll so concurrent enrollments can never exceed max uses.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../data/client.js';

export type TokenState = 'valid' | 'used_up' | 'expired' | 'revoked';

export interface CreateTokenInput {
  readonly createdById: string;
  readonly maxUses: number;
  readonly expiresAt: Date;
  readonly tags: readonly string[];
  readonly autoApprove: boolean;
}

export const ENROLL_TOKEN_RE = /^viw_et_[A-Za-z0-9_-]{43}$/;

export function enrollmentTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function createEnrollmentToken(db: Db, input: CreateTokenInput) {
  const token = `viw_et_${randomBytes(32).toString('base64url')}`;
  const row = await db.enrollmentToken.create({
    data: {
      tokenHash: enrollmentTokenHash(token),
      maxUses: input.maxUses,
      expiresAt: input.expiresAt,
      tags: JSON.stringify(input.tags),
      autoApprove: input.autoApprove,
      createdById: input.createdById,
    },
  });
  return { token, row };
}

export function tokenState(
  row: { uses: number; maxUses: number; expiresAt: Date; revokedAt: Date | null },
  now: Date,
): TokenState {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.uses >= row.maxUses) return 'used_up';
  return 'valid';
}

/**
 * Takes one use of a token. The conditional update is the atomic step: it only matches while the
 * token is unrevoked, unexpired and under its limit, so two enrollments racing for the last use
 * cannot both succeed. Returns the token row (for tags / auto-approve), or null.
 */
export async function consumeEnrollmentToken(db: Db, token: string, now: Date) {
  if (!ENROLL_TOKEN_RE.test(token)) return null;
  const row = await db.enrollmentToken.findUnique({ where: { tokenHash: enrollmentTokenHash(token) } });
  if (!row || tokenState(row, now) !== 'valid') return null;
  const taken = await db.enrollmentToken.updateMany({
    where: { id: row.id, uses: row.uses, revokedAt: null, expiresAt: { gt: now } },
    data: { uses: { increment: 1 } },
  });
  if (taken.count !== 1) return consumeEnrollmentToken(db, token, now);
  return { ...row, uses: row.uses + 1 };
}
