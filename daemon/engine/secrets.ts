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
  /** Network time of POST /auth/login (not secret), added to /auth/verify's for timings.login_ms. */
  readonly loginMs: number;
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

/** What the vault holds, by kind; at most one of each. */
export interface HeldSecrets {
  readonly enroll: PendingEnroll;
  readonly login: LoginTxn;
  readonly access: AccessGrant;
  readonly password: PasswordToken;
}

export type SecretKind = keyof HeldSecrets;

export class SecretVault {
  private held: { -readonly [K in SecretKind]: HeldSecrets[K] | null } = {
    enroll: null,
    login: null,
    access: null,
    password: null,
  };
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly onExpired: (what: string) => void) {}

  get<K extends SecretKind>(kind: K): HeldSecrets[K] | null {
    return this.held[kind];
  }

  /** Holds a secret (replacing one of the same kind) and re-arms the expiry timer. */
  hold<K extends SecretKind>(kind: K, value: HeldSecrets[K]): void {
    this.held[kind] = value;
    this.arm();
  }

  /** Drops one secret (used or refused) and re-arms the expiry timer for the others. */
  drop(kind: SecretKind): void {
    this.held[kind] = null;
    this.arm();
  }

  /**
   * Takes the one-time bootstrap grant for a connect: afterwards only the access token stays (the
   * session's, until teardown) and the grant no longer keeps the expiry timer armed. Null when no
   * grant is held.
   */
  takeGrant(): { readonly accessToken: string; readonly grant: string } | null {
    const access = this.held.access;
    if (!access?.grant) return null;
    const grant = access.grant;
    access.grant = null;
    this.arm();
    return { accessToken: access.accessToken, grant };
  }

  /** Drops every secret and the expiry timer. */
  wipe(): void {
    this.held = { enroll: null, login: null, access: null, password: null };
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** (Re)arms the expiry timer for the earliest held secret that is not part of a live session. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { enroll, login, access, password } = this.held;
    const held: Array<[string, number]> = [];
    if (enroll) held.push(['enrollment code', enroll.expiresAtMs]);
    if (login) held.push(['one-time code', login.expiresAtMs]);
    if (access?.grant) held.push(['login', access.expiresAtMs]);
    if (password) held.push(['password change', password.expiresAtMs]);
    if (held.length === 0) return;
    held.sort((a, b) => a[1] - b[1]);
    const [what, at] = held[0]!;
    this.timer = setTimeout(() => this.onExpired(what), Math.max(0, at - Date.now()));
    this.timer.unref();
  }
}
