// Building blocks of the backend's wire contracts (core/api/*.ts). Field names are snake_case on
// the wire; every object is closed; every string is bounded. Shared by the server routes and the
// clients (daemon, phone), so a contract change is one edit that both sides compile against.
import { Type } from 'typebox';
import { closed } from '../schema/strict.js';

export { closed };

/** A raw 32-byte public key (X25519 or Ed25519) as unpadded base64url: exactly 43 characters. */
export const Key32 = Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$' });
/**
 * A desktop device's public key as unpadded base64url: a Key32 (X25519 / Ed25519, 43 characters) or
 * an uncompressed SEC1 P-256 point (65 bytes, 87 characters) for a TPM device. Which one a request
 * must carry follows from its `key_type`; the server checks the decoded length and the curve.
 */
export const DevicePublicKey = Type.String({
  minLength: 43,
  maxLength: 87,
  pattern: '^(?:[A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{87})$',
});
/** SHA-256 as lower-case hex. */
export const Sha256Hex = Type.String({ minLength: 64, maxLength: 64, pattern: '^[0-9a-f]{64}$' });
/**
 * The one username rule, for every path that creates or names an account (admin user creation,
 * admin login, desktop enrollment and login): 2–64 characters, lower case letters, digits and
 * `. _ @ -`, starting with a letter or digit (e-mail-style names allowed; lower case only, so no
 * look-alike duplicates such as `Alice` / `alice`). Matched exactly (case-sensitively).
 */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._@-]{1,63}$';
export const USERNAME_MAX_LENGTH = 64;
export const Username = Type.String({
  minLength: 2,
  maxLength: USERNAME_MAX_LENGTH,
  pattern: USERNAME_PATTERN,
});
/** Up to 256 UTF-16 units (≤ 1024 UTF-8 bytes, the KDF's own cap). Never logged or echoed. */
export const Password = Type.String({ minLength: 1, maxLength: 256 });

/**
 * The one rule set for a NEW password, wherever it is chosen (admin `POST /admin/password`, desktop
 * `POST /auth/password`): 12–256 characters, at least 6 different characters, not the current
 * password, not containing the username. The schema bounds come from here; `newPasswordProblems`
 * is the rest, shared so a client can check before sending (the server always checks again).
 */
export const PASSWORD_POLICY = { min_length: 12, max_length: 256, min_distinct_chars: 6 } as const;
export const NewPassword = Type.String({
  minLength: PASSWORD_POLICY.min_length,
  maxLength: PASSWORD_POLICY.max_length,
});
export const PasswordPolicySchema = Type.Object(
  {
    min_length: Type.Literal(PASSWORD_POLICY.min_length),
    max_length: Type.Literal(PASSWORD_POLICY.max_length),
    min_distinct_chars: Type.Literal(PASSWORD_POLICY.min_distinct_chars),
  },
  closed,
);

/**
 * Why `next` is not acceptable as the new password of `username` (empty: acceptable). The caller
 * says whether it equals the current password (the server knows only the hash). Each entry names
 * the field as `/new_password: …` and never contains the password.
 */
export function newPasswordProblems(username: string, next: string, sameAsCurrent: boolean): string[] {
  return newPasswordProblemsOfCodePoints(
    username,
    Array.from(next, (c) => c.codePointAt(0)!),
    sameAsCurrent,
  );
}

/**
 * The same rules over the password's code points, so a caller holding it as wipeable bytes (the
 * daemon, core/secrets) never makes a string of it. Usernames are ASCII (USERNAME_PATTERN), so
 * "contains the username" folds ASCII letters plus the two non-ASCII characters whose lower case
 * is ASCII (U+0130 → "i̇", U+212A KELVIN SIGN → "k"): exactly what String#toLowerCase would find.
 */
export function newPasswordProblemsOfCodePoints(
  username: string,
  next: ArrayLike<number>,
  sameAsCurrent: boolean,
): string[] {
  const problems: string[] = [];
  if (next.length < PASSWORD_POLICY.min_length || next.length > PASSWORD_POLICY.max_length) {
    problems.push(
      `/new_password: must be ${PASSWORD_POLICY.min_length}–${PASSWORD_POLICY.max_length} characters`,
    );
  }
  if (sameAsCurrent) problems.push('/new_password: must differ from the current password');
  if (containsFolded(next, username.toLowerCase())) {
    problems.push('/new_password: must not contain the username');
  }
  if (distinctCount(next) < PASSWORD_POLICY.min_distinct_chars) {
    problems.push(
      `/new_password: must use at least ${PASSWORD_POLICY.min_distinct_chars} different characters`,
    );
  }
  return problems;
}

// Working copies live in ArrayBuffers of their own (outside the JS heap, where the garbage collector
// would copy them) and are zeroed before returning: they hold the password's characters.
const scratch = (n: number) => new Uint32Array(new ArrayBuffer(Math.max(1, n) * 4));

function distinctCount(cps: ArrayLike<number>): number {
  const sorted = scratch(cps.length);
  for (let i = 0; i < cps.length; i++) sorted[i] = cps[i]!;
  sorted.subarray(0, cps.length).sort();
  let n = 0;
  for (let i = 0; i < cps.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) n++;
  sorted.fill(0);
  return n;
}

function containsFolded(cps: ArrayLike<number>, needle: string): boolean {
  const folded = scratch(cps.length * 2);
  let n = 0;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c >= 0x41 && c <= 0x5a) folded[n++] = c + 0x20;
    else if (c === 0x130) {
      folded[n++] = 0x69;
      folded[n++] = 0x307;
    } else if (c === 0x212a) folded[n++] = 0x6b;
    else folded[n++] = c;
  }
  let found = false;
  for (let i = 0; !found && i + needle.length <= n; i++) {
    let k = 0;
    while (k < needle.length && folded[i + k] === needle.charCodeAt(k)) k++;
    found = k === needle.length;
  }
  folded.fill(0);
  return found;
}

/** A DNS name (labels of letters, digits and inner hyphens; an optional final dot). */
export const DOMAIN_NAME_PATTERN =
  '^(?=.{1,254}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\\.?$';
/** Server ids are UUIDs (v7 for rows). */
export const Uuid = Type.String({
  minLength: 36,
  maxLength: 36,
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
/** A login / enrollment transaction: `viw_tx_` + 256 random bits. */
export const TxnId = Type.String({ minLength: 50, maxLength: 50, pattern: '^viw_tx_[A-Za-z0-9_-]{43}$' });
/** The one one-time-code rule: 6 digits (phone OTP, admin TOTP, the daemon's local API). */
export const OTP_CODE_PATTERN = '^[0-9]{6}$';
export const OtpCode = Type.String({ minLength: 6, maxLength: 6, pattern: OTP_CODE_PATTERN });
export const IsoTime = Type.String({
  maxLength: 30,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
});
export const IpAddress = Type.String({ maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$' });
/**
 * A name a person reads on another screen (a desktop's name on the phone): no control, format,
 * private-use or line-separator characters, so it cannot reorder or hide what is shown around it.
 */
export const DISPLAY_TEXT_PATTERN = '^[^\\p{C}\\p{Zl}\\p{Zp}]+$';
export const DisplayName = Type.String({ minLength: 1, maxLength: 64, pattern: DISPLAY_TEXT_PATTERN });
/** An SPKI pin (core/crypto/pins.ts): base64 SHA-256, 44 characters. */
export const Pin = Type.String({ minLength: 44, maxLength: 44, pattern: '^[A-Za-z0-9+/]{43}=$' });
export const PinSetSchema = Type.Object({ primary_b64: Pin, backup_b64: Pin }, closed);

/** Decodes a Key32 string; null unless it is the canonical encoding of exactly 32 bytes. */
export function decodeKey32(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url');
  if (raw.length !== 32 || raw.toString('base64url') !== text) return null;
  return new Uint8Array(raw);
}

/**
 * Decodes a DevicePublicKey string holding an uncompressed P-256 point; null unless it is the
 * canonical encoding of 65 bytes starting 0x04 (whether the point is on the curve is checked where
 * the key is imported).
 */
export function decodeP256Point(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{87}$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url');
  if (raw.length !== 65 || raw[0] !== 0x04 || raw.toString('base64url') !== text) return null;
  return new Uint8Array(raw);
}

export function encodeKey32(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
}
