// What a successful password + OTP login hands the desktop (POST /auth/verify), and what the
// bootstrap route consumes. Both are opaque tokens in the shared store (tokens.ts), bound to the
// address that completed the OTP (sameSource), like the one-time password token (password.ts).
import type { KvStore } from '../../kv/kv-store.js';
import { TokenStore } from './tokens.js';

/** Access tokens live at most 10 minutes (backend issue). */
export const ACCESS_TOKEN_TTL_MS = 10 * 60_000;
/** A bootstrap grant must be redeemed within the same window, exactly once. */
export const BOOTSTRAP_GRANT_TTL_MS = 10 * 60_000;

export interface AccessClaims {
  readonly userId: string;
  readonly deviceId: string;
  /** Source address that completed the OTP; later calls from elsewhere are refused. */
  readonly sourceIp: string;
  readonly loginTxnId: string;
  readonly issuedAt: number;
  /**
   * The daemon's hardening as declared at this login (core/api/posture.ts), for the policy's
   * posture rule at bootstrap; absent when the daemon declared none.
   */
  readonly hardened?: boolean;
  /**
   * The version the daemon reported at this login (auth v5), for the policy's minimum client
   * version at bootstrap and on the session row; absent when it reported none (then no minimum is
   * met — also by claims issued before the field existed: that login is simply made again).
   */
  readonly clientVersion?: string;
}

export interface BootstrapGrantClaims extends AccessClaims {}

export function accessTokens(kv: KvStore): TokenStore<AccessClaims> {
  return new TokenStore<AccessClaims>(kv, 'at');
}

export function bootstrapGrants(kv: KvStore): TokenStore<BootstrapGrantClaims> {
  return new TokenStore<BootstrapGrantClaims>(kv, 'bg');
}

/** IPv4-mapped IPv6 (`::ffff:192.0.2.1`) and plain IPv4 name the same peer. */
export function sameSource(a: string, b: string): boolean {
  const norm = (ip: string) => ip.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return norm(a) === norm(b);
}
