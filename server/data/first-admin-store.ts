// The first-administrator bootstrap's view of the users table (server/services/admin/first-admin.ts).
import type { FirstAdminStore } from '../services/admin/first-admin.js';
import type { Db } from './client.js';

/** "scrypt$N=32768,r=8,p=1$salt$key" → "scrypt$N=32768,r=8,p=1": the KDF and its parameters. */
export function kdfParamsOf(passwordHash: string): string {
  const [kdf, params] = passwordHash.split('$');
  if (!kdf || !params) throw new Error('password hash is not in "kdf$params$salt$hash" form');
  return `${kdf}$${params}`;
}

export function firstAdminStore(db: Db): FirstAdminStore {
  return {
    countUsers: () => db.user.count(),
    async createAdmin({ username, passwordHash, mustChangePassword }) {
      await db.user.create({
        data: {
          username,
          role: 'Admin',
          passwordHash,
          kdfParams: kdfParamsOf(passwordHash),
          mustChangePassword,
        },
      });
    },
  };
}
