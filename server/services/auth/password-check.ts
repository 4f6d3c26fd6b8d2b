// Password checks that cost the same whether or not the account exists: every call runs the KDF
// exactly once, against the user's hash or against a dummy hash made with the default parameters.
// Shared by the desktop identity routes and the admin API, like the new-password rule set below.
import { randomBytes } from 'node:crypto';
import { newPasswordProblems } from '../../../core/api/common.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { User } from '../../data/client.js';
import { hashPassword, verifyPassword } from './passwords.js';

let dummy: Promise<string> | undefined;

/** A hash of a random password nobody knows; made once per process (call at start to pre-warm). */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}

/** Runs the KDF once and returns false (unknown user, locked user, someone else's device). */
export async function burnPasswordCheck(password: string): Promise<false> {
  await verifyPassword(password, await dummyPasswordHash());
  return false;
}

export function checkPassword(user: Pick<User, 'passwordHash'>, password: string): Promise<boolean> {
  return verifyPassword(password, user.passwordHash);
}

/**
 * The one new-password rule set (core/api/common.ts PASSWORD_POLICY / newPasswordProblems), for the
 * admin API and the desktop alike. "Not the current password" is checked against the stored hash
 * (one KDF run), so it holds whatever the caller knows. Refusal: VIW_E_VALIDATION naming each rule.
 */
export async function assertNewPassword(
  user: Pick<User, 'username' | 'passwordHash'>,
  next: string,
): Promise<void> {
  const sameAsCurrent = await verifyPassword(next, user.passwordHash);
  const problems = newPasswordProblems(user.username, next, sameAsCurrent);
  if (problems.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: problems });
}
