// The login secrets the daemon holds between API calls — in memory only, never persisted, never in
// a Status, a log line or an error. JavaScript strings cannot be overwritten in place, so "wiping"
// here means dropping the only reference (the engine never copies these values anywhere else);
// byte buffers (keys, plaintext) are zeroed where they are used. Each secret expires on its own
// clock: an expiry timer drops it, which is the daemon's idle auto-logout before a connect.
import type { Static } from 'typebox';
import type { EnrollRequestSchema } from '../../core/api/local.js';

type EnrollRequest = Static<typeof EnrollRequestSchema>;

export interface PendingEnroll {
  readonly txnId: string;
  readonly expiresAtMs: number;
  readonly fingerprint: string;
  readonly request: Omit<EnrollRequest, 'password' | 'enrollment_token'>;
}

export interface LoginTxn {
  readonly txnId: string;
  readonly expiresAtMs: number;
}

export interface AccessGrant {
  readonly accessToken: string;
  /** One-time; null once GET /client/bootstrap has taken it. */
  grant: string | null;
  readonly expiresAtMs: number;
}

export interface PasswordToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export class SecretVault {
  enroll: PendingEnroll | null = null;
  login: LoginTxn | null = null;
  access: AccessGrant | null = null;
  password: PasswordToken | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly onExpired: (what: string) => void) {}

  /** Drops every secret and the expiry timer. */
  wipe(): void {
    this.enroll = null;
    this.login = null;
    this.access = null;
    this.password = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** (Re)arms the expiry timer for the earliest held secret that is not part of a live session. */
  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const held: Array<[string, number]> = [];
    if (this.enroll) held.push(['enrollment code', this.enroll.expiresAtMs]);
    if (this.login) held.push(['one-time code', this.login.expiresAtMs]);
    if (this.access?.grant) held.push(['login', this.access.expiresAtMs]);
    if (this.password) held.push(['password change', this.password.expiresAtMs]);
    if (held.length === 0) return;
    held.sort((a, b) => a[1] - b[1]);
    const [what, at] = held[0]!;
    this.timer = setTimeout(() => this.onExpired(what), Math.max(0, at - Date.now()));
    this.timer.unref();
  }
}
