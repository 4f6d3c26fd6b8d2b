// Password checks that cost the same whether or not the account exists: every call runs the KDF
// exactly once, against the user's hash or against a dummy hash made with the default parameters.
import { randomBytes } from 'node:crypto';
import type { User } from '../data/client.js';
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
