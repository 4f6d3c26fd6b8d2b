// The per-account ceiling on wrong one-time codes, across every transaction that asks for one.
// Each login or enrollment transaction allows OTP_MAX_ATTEMPTS tries and a new login starts a fresh
// transaction, so the per-transaction limit alone lets someone holding the password and the device
// key guess without end (the probe: 48 guesses in a minute from 7 addresses, the account never
// locked). This counts every wrong code of a genuine transaction — desktop login, desktop
// enrollment, admin TOTP at login and at TOTP confirmation — in one sliding window per account in
// the shared store, so every backend instance counts together. Reaching the ceiling locks the
// account on the usual lockout schedule (lockout.ts), and every further wrong code while
// the window is still full locks it again, for longer.
import type { Db } from '../../data/client.js';
import type { KvStore } from '../../kv/kv-store.js';
import { forceLockout } from './lockout.js';

/** Wrong codes an account may collect within the window before it locks. */
export const CODE_GUESS_CEILING = 10;
export const CODE_GUESS_WINDOW_MS = 60 * 60_000;

export interface GuessVerdict {
  /** Wrong codes of this account within the window, this one included. */
  readonly guesses: number;
  /** Set when this wrong code locked the account. */
  readonly lockedUntil: Date | null;
  readonly failures: number;
}

const windowKey = (userId: string) => `guess:${userId}`;

/** Counts one wrong code against the account and locks it once the ceiling is reached. */
export async function countWrongCode(
  deps: { readonly db: Db; readonly kv: KvStore; readonly now: () => Date },
  userId: string,
): Promise<GuessVerdict> {
  const guesses = await deps.kv.hitWindow(windowKey(userId), CODE_GUESS_WINDOW_MS);
  if (guesses < CODE_GUESS_CEILING) return { guesses, lockedUntil: null, failures: 0 };
  const { failures, lockedUntil } = await forceLockout(deps.db, userId, deps.now());
  return { guesses, lockedUntil, failures };
}

/** An administrator's unlock starts the account afresh: the window goes with the lock. */
export async function clearWrongCodes(kv: KvStore, userId: string): Promise<void> {
  await kv.del(windowKey(userId));
}
