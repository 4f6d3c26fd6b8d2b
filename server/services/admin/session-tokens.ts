// Admin API sessions: opaque `viw_adm_…` bearer tokens (auth/tokens.ts; only the SHA-256 is stored).
// Two keys per session: the token's claims, kept for the absolute lifetime and never rewritten,
// and an idle marker that every authenticated request pushes forward. A session is alive only
// while both exist, so a request racing a logout can at worst revive an orphan marker, never the
// token. Whether the account may still use the session (lock, role, credential changes) is checked
// against the database on every request by the guard (authEpoch).
import type { KvStore } from '../../kv/kv-store.js';
import { TokenStore, tokenHash } from '../auth/tokens.js';

export type AdminScope = 'full' | 'setup';

export interface AdminSessionClaims {
  readonly userId: string;
  /** `setup`: only the first-login steps (own password, TOTP enrollment), nothing else. */
  readonly scope: AdminScope;
  /** The account's authEpoch when issued; any credential/lock/role change invalidates the session. */
  readonly epoch: number;
  /** Whether the login that opened this session verified a TOTP code. */
  readonly mfa: boolean;
  readonly issuedAt: number;
  /** Absolute end of the session (ms since the epoch). */
  readonly expiresAt: number;
  readonly idleMs: number;
}

export const ADMIN_SESSION_LIMITS: Record<AdminScope, { idleMs: number; absoluteMs: number }> = {
  full: { idleMs: 15 * 60_000, absoluteMs: 8 * 3600_000 },
  setup: { idleMs: 10 * 60_000, absoluteMs: 15 * 60_000 },
};

const idleKey = (token: string) => `adm-idle:${tokenHash(token)}`;

export class AdminSessionTokens {
  private readonly store: TokenStore<AdminSessionClaims>;

  constructor(
    private readonly kv: KvStore,
    private readonly now: () => Date,
  ) {
    this.store = new TokenStore<AdminSessionClaims>(kv, 'adm');
  }

  async issue(input: {
    userId: string;
    scope: AdminScope;
    epoch: number;
    mfa: boolean;
  }): Promise<{ token: string; claims: AdminSessionClaims }> {
    const limits = ADMIN_SESSION_LIMITS[input.scope];
    const issuedAt = this.now().getTime();
    const claims: AdminSessionClaims = {
      ...input,
      issuedAt,
      expiresAt: issuedAt + limits.absoluteMs,
      idleMs: limits.idleMs,
    };
    const token = await this.store.issue(claims, limits.absoluteMs);
    await this.kv.set(idleKey(token), '1', limits.idleMs);
    return { token, claims };
  }

  /** The claims of a live session, sliding its idle deadline; null when unknown, idle or expired. */
  async authenticate(token: string): Promise<AdminSessionClaims | null> {
    const claims = await this.store.read(token);
    if (!claims) return null;
    const now = this.now().getTime();
    if (now >= claims.expiresAt || (await this.kv.get(idleKey(token))) === null) {
      await this.revoke(token);
      return null;
    }
    await this.kv.set(idleKey(token), '1', Math.min(claims.idleMs, claims.expiresAt - now));
    return claims;
  }

  /**
   * The claims of a live session WITHOUT sliding its idle deadline: for an open event stream, which
   * must end when its session does and must not keep an idle session alive.
   */
  async peek(token: string): Promise<AdminSessionClaims | null> {
    const claims = await this.store.read(token);
    if (!claims || this.now().getTime() >= claims.expiresAt) return null;
    return (await this.kv.get(idleKey(token))) === null ? null : claims;
  }

  async revoke(token: string): Promise<void> {
    await this.store.revoke(token);
    await this.kv.del(idleKey(token));
  }
}
