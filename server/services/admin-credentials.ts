// The pieces of admin authentication that touch credentials: TOTP codes (each step usable once),
// the new-password policy, and a dummy password check so unknown usernames cost as much time as
// known ones. Per-account lockout is the one policy every login shares (services/lockout.ts).
import { randomBytes } from 'node:crypto';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { AppContext } from '../context.js';
import type { User } from '../data/client.js';
import { matchTotp } from './admin-totp.js';
import { openTotpSecret } from './admin-totp-seal.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AdminDeps = Pick<AppContext, 'db' | 'kv' | 'audit' | 'now' | 'secrets' | 'rate' | 'sessionEnd'>;

let dummyHash: Promise<string> | null = null;

/** Spends one real password verification on a throwaway hash (unknown user, `User` role). */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'));
  await verifyPassword(password, await dummyHash);
}

/**
 * Accepts a TOTP code once. The matched step must be later than the last accepted one, and the
 * conditional update makes "check and record" one atomic step, so two logins racing with the same
 * code cannot both pass. With `confirm`, the same update finishes enrollment (and bumps authEpoch,
 * ending the session that enrolled); otherwise the secret must already be confirmed.
 */
export async function acceptTotpCode(
  deps: Pick<AdminDeps, 'db' | 'now' | 'secrets'>,
  user: Pick<User, 'id' | 'totpSecretSealed' | 'totpLastStep' | 'authEpoch'>,
  code: string,
  opts: { confirm?: boolean } = {},
): Promise<number | null> {
  if (!user.totpSecretSealed) return null;
  const secret = openTotpSecret(deps.secrets.adminTotpKey, user.id, user.totpSecretSealed);
  let step: number | null;
  try {
    step = matchTotp(secret, code, deps.now().getTime());
  } finally {
    secret.fill(0);
  }
  if (step === null || (user.totpLastStep !== null && step <= user.totpLastStep)) return null;
  const taken = await deps.db.user.updateMany({
    where: {
      id: user.id,
      totpSecretSealed: user.totpSecretSealed,
      OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }],
      ...(opts.confirm
        ? { totpConfirmedAt: null, authEpoch: user.authEpoch }
        : { totpConfirmedAt: { not: null } }),
    },
    data: {
      totpLastStep: step,
      ...(opts.confirm ? { totpConfirmedAt: deps.now(), authEpoch: { increment: 1 } } : {}),
    },
  });
  return taken.count === 1 ? step : null;
}

/** Beyond the schema's length bounds (12..256): not the old password, not the username, not trivial. */
export function checkNewPassword(username: string, current: string, next: string): void {
  const problems: string[] = [];
  if (next === current) problems.push('/new_password: must differ from the current password');
  if (next.toLowerCase().includes(username.toLowerCase())) {
    problems.push('/new_password: must not contain the username');
  }
  if (new Set(next).size < 6) problems.push('/new_password: must use at least 6 different characters');
  if (problems.length > 0) throw new ViworksError('VIW_E_VALIDATION', { details: problems });
}
