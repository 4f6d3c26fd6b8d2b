// The pieces of admin authentication that touch credentials: TOTP codes (each step usable once).
// What every login shares lives elsewhere, once: the per-account lockout (services/auth/lockout.ts), the
// dummy password check and the new-password rules (services/auth/password-check.ts).
import type { AppContext } from '../../context.js';
import type { User } from '../../data/client.js';
import { matchTotp } from './totp.js';
import { openTotpSecret } from './totp-seal.js';

export type AdminDeps = Pick<AppContext, 'db' | 'kv' | 'audit' | 'now' | 'secrets' | 'rate' | 'sessionEnd'>;

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
