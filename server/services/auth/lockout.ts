// Per-user lockout with exponential backoff: the ONE policy of every login (desktop login and
// enrollment, admin API login), on the same columns, so failures on all of them add up. A failure
// is a wrong password on the user's own enrolled device, a wrong password with a valid enrollment
// token, a genuine OTP transaction that died after five wrong codes, or a failed admin login
// (wrong password or TOTP code) of an admin-role account. (Wrong passwords that get a decoy with no
// way to learn the outcome — another user's device, enrollment without a token — are not counted:
// they reveal nothing, and counting them would let anyone lock anyone out.)
//
// Schedule (User.failedLogins counts failures since the last successful login):
//   failures 1–4: no lock; 5th: 1 min; 6th: 2 min; 7th: 4 min; … doubling, capped at 60 min.
// The count is kept when a lock expires, so the next failure locks for longer. A successful
// password + OTP login resets it (an administrator's unlock does too). While locked, the password
// is not even checked, so a lock can never turn into a password oracle. Every lock that starts also
// bumps the account's authEpoch, which ends its live admin sessions (docs/admin-api.md) and voids
// any pending one-time password-change token (password.ts).
import type { Db } from '../../data/client.js';

export const LOCKOUT_FREE_FAILURES = 4;
export const LOCKOUT_BASE_MS = 60_000;
export const LOCKOUT_MAX_MS = 60 * 60_000;

export function lockoutDurationMs(failures: number): number {
  if (failures <= LOCKOUT_FREE_FAILURES) return 0;
  return Math.min(LOCKOUT_BASE_MS * 2 ** (failures - LOCKOUT_FREE_FAILURES - 1), LOCKOUT_MAX_MS);
}

export function isLocked(user: { locked: boolean; lockedUntil: Date | null }, now: Date): boolean {
  return user.locked || (user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime());
}

/** Counts one failure (atomically) and locks the account when the schedule says so. */
export async function recordFailure(
  db: Db,
  userId: string,
  now: Date,
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const { failedLogins } = await db.user.update({
    where: { id: userId },
    data: { failedLogins: { increment: 1 } },
    select: { failedLogins: true },
  });
  const ms = lockoutDurationMs(failedLogins);
  if (ms === 0) return { failures: failedLogins, lockedUntil: null };
  const lockedUntil = new Date(now.getTime() + ms);
  await db.user.update({ where: { id: userId }, data: { lockedUntil, authEpoch: { increment: 1 } } });
  return { failures: failedLogins, lockedUntil };
}

/**
 * Locks the account now, on the same schedule: the failure count is raised to at least the first
 * locking one, so a lock for guessed codes starts at 1 min and doubles with each further one.
 */
export async function forceLockout(
  db: Db,
  userId: string,
  now: Date,
): Promise<{ failures: number; lockedUntil: Date }> {
  await db.user.updateMany({
    where: { id: userId, failedLogins: { lt: LOCKOUT_FREE_FAILURES } },
    data: { failedLogins: LOCKOUT_FREE_FAILURES },
  });
  const { failures, lockedUntil } = await recordFailure(db, userId, now);
  // recordFailure locks from the (FREE + 1)th failure on, which the update above guarantees.
  return { failures, lockedUntil: lockedUntil ?? now };
}

export async function clearFailures(db: Db, userId: string): Promise<void> {
  await db.user.update({ where: { id: userId }, data: { failedLogins: 0, lockedUntil: null } });
}
