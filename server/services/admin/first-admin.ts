// First start: when no user exists, create the administrator `admin` with a one-time password that
// must be changed at first login. The password is generated from the CSPRNG and returned once for
// the start banner, or taken from VIWORKS_ADMIN_PASSWORD for automation (then never printed).
import { PASSWORD_POLICY } from '../../../core/api/common.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { generateOneTimePassword, hashPassword } from '../auth/passwords.js';

export interface FirstAdminStore {
  countUsers(): Promise<number>;
  createAdmin(input: { username: string; passwordHash: string; mustChangePassword: true }): Promise<void>;
}

export interface FirstAdmin {
  readonly username: string;
  /** null when the password came from the environment. */
  readonly oneTimePassword: string | null;
}

export const FIRST_ADMIN_USERNAME = 'admin';
const MIN_ENV_PASSWORD = PASSWORD_POLICY.min_length;

export async function ensureFirstAdmin(
  store: FirstAdminStore,
  envPassword?: string,
): Promise<FirstAdmin | null> {
  if ((await store.countUsers()) > 0) return null;
  if (envPassword !== undefined && envPassword.length < MIN_ENV_PASSWORD) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`VIWORKS_ADMIN_PASSWORD must be at least ${MIN_ENV_PASSWORD} characters`],
    });
  }
  const password = envPassword ?? generateOneTimePassword();
  await store.createAdmin({
    username: FIRST_ADMIN_USERNAME,
    passwordHash: await hashPassword(password),
    mustChangePassword: true,
  });
  return { username: FIRST_ADMIN_USERNAME, oneTimePassword: envPassword === undefined ? password : null };
}

/** Reads the automation password once and removes it, so child processes never inherit it. */
export function takeAdminPasswordFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.VIWORKS_ADMIN_PASSWORD;
  delete env.VIWORKS_ADMIN_PASSWORD;
  return value === '' ? undefined : value;
}
