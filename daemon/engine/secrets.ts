// What the daemon holds that is secret, and in what form (issue #13).
//
// As Buffers, wiped when done — never JavaScript strings (strings are immutable: nothing can
// overwrite one, and its bytes stay in the heap until the garbage collector reuses them):
//   - the session's key material from the bootstrap — SPA encryption and HMAC keys, the tls-crypt
//     key, the client private key (core/bootstrap/opened.ts parses them out of the plaintext bytes
//     without ever making a string; ActiveSession.forgetSecrets wipes them at every teardown);
//   - the bootstrap plaintext itself (device-keys.ts, wiped once parsed), the OpenVPN stdin config
//     (datapath/openvpn/config.ts, wiped once written), the TLS proxy's copy of the client key
//     (wiped once OpenSSL has it), the SPA knock's key copies (wiped after each knock);
//   - the device's private keys (keystore → device-keys.ts, wiped after each use);
//   - what the user types — the password, a new password, the phone's code, a fleet enrollment
//     token: the local API lifts them out of the request body's bytes (localapi/secret-fields.ts,
//     core/secrets) and the handlers get SecretText; the backend client writes them into its JSON
//     body from those bytes (core/backendclient/call.ts) and wipes the body once sent; the request's
//     secrets are wiped when the engine call returns. The new-password rules run over code points
//     in a wiped array (core/api/common.ts newPasswordProblemsOfCodePoints).
// Small secret buffers are allocated off the JS heap (core/crypto/bytes.ts secretBytes): V8 moves
// small typed arrays when it collects garbage, and a wipe would then miss the old copy. The lab's
// memory scan (scripts/lab/e2e/secrets-memory.e2e.test.ts) checks that none of the session's keys
// is left in viworksd after a disconnect, in raw, base64, hex or PEM form, and that the password
// is gone once the login returned.
//
// Copies the runtime would make and free without wiping, and how each is avoided:
//   - the local API's socket reads: Node's HTTP parser reads every connection into one static
//     buffer; the local API takes reads back into JavaScript and zeroes each chunk once parsed
//     (localapi/wipe-reads.ts; localapi/request-memory.test.ts reads a real viworksd as root);
//   - request bodies toward the backend: written alone after the TLS handshake, so OpenSSL encrypts
//     straight from our buffer and Node neither parks them as pending cleartext nor joins them with
//     the headers (core/backendclient/pinned-transport.ts; body-memory.test.ts).
//
// Still strings, and why (each short-lived, memory only, never logged, in no Status or error):
//   - the access token and the one-time bootstrap grant held below: bearer credentials the backend
//     returns in its JSON reply and that go back as HTTP header values, which Node's HTTP client
//     only takes as strings; they expire with the login (minutes) and are dropped at teardown;
//   - the password-change token: also read from a JSON reply (the typed client checks every reply
//     as parsed JSON); one use, minutes, dropped when the change is made or refused.
// OpenSSL keeps its own parsed copy of a key (the session's client key in the TLS proxy's context,
// the software device key while it signs) and frees it, cleared, only when V8 collects the wrapper:
// the proxy handle drops its context when done, and a teardown forces full collections
// (native-copies.ts); the lab scan looks for the client key's scalar in OpenSSL's form too. Between
// a device signature and the next collection the software store's seed may sit inside OpenSSL.
// The bootstrap's HPKE open (core/crypto/hpke-open.ts) keeps its KEM shared secret, AEAD key and
// nonce in one scope wiped before it returns, and decrypts in OpenSSL under a one-time mask so that
// no freed buffer holds the plaintext or the keystream; the software X25519 key lives in a
// non-extractable CryptoKey until it is collected.
// OpenVPN keeps the config it read in its own process, which ends with the session.
//
// The login secrets below are held in memory only, never persisted. "Wiping" a string means dropping
// the only reference (the engine never copies these values anywhere else). Each secret expires on
// its own clock: an expiry timer drops it, which is the daemon's idle auto-logout before a connect.
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
