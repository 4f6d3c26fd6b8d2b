// The signed-in administrator as the panel knows it: from the login answer, without the token
// (the AdminClient holds that). The idle limit is the backend's own (AuthReply.idle_timeout_s).
import type { AdminPermission, AuthReplyT, UserRole } from '../../../core/api/admin.js';
import { DEFAULT_IDLE_MS } from './idle-timer.js';

export interface SignedIn {
  readonly username: string;
  readonly role: UserRole;
  readonly permissions: readonly AdminPermission[];
  readonly idleMs: number;
  /** Absolute end of the session (ms since epoch); Infinity when the answer did not say. */
  readonly expiresAt: number;
}

export function signedInFrom(reply: AuthReplyT): SignedIn {
  const expires = reply.expires_at ? Date.parse(reply.expires_at) : Number.NaN;
  return {
    username: reply.username,
    role: reply.role,
    permissions: reply.permissions,
    idleMs: reply.idle_timeout_s ? reply.idle_timeout_s * 1000 : DEFAULT_IDLE_MS,
    expiresAt: Number.isFinite(expires) ? expires : Number.POSITIVE_INFINITY,
  };
}
