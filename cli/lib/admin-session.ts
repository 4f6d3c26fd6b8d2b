// Where `viworks admin login` keeps its session: the token in the OS keyring (@napi-rs/keyring), or,
// where there is none (headless Linux answers AccessDenied), in the session file itself. The file is
// `$XDG_CONFIG_HOME/viworks/admin.json` (default ~/.config), mode 0600 in a 0700 directory, written
// atomically, and refused when others can read it. It also holds the non-secret trust settings
// (backend URL, root CA, pins) so later commands need no flags. The token is never printed.
//
// VIWORKS_ADMIN_TOKEN_STORE=file|keyring|auto (default auto) chooses the store; `keyring` fails when
// the keyring does not work instead of falling back.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Static, Type } from 'typebox';
import { ADMIN_PERMISSIONS, USER_ROLES } from '../../core/api/admin.js';
import { PinSetSchema } from '../../core/api/common.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { CliError } from './output.js';
import type { BackendTrust } from './trust.js';

const KEYRING_SERVICE = 'viworks-admin';
const TOKEN_PATTERN = '^viw_adm_[A-Za-z0-9_-]{20,100}$';

const StoredSessionSchema = Type.Object(
  {
    v: Type.Literal(1),
    backend_url: Type.String({ maxLength: 2048 }),
    ca_pem: Type.String({ maxLength: 16_384 }),
    pins: PinSetSchema,
    username: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
    role: Type.Union([Type.Enum(USER_ROLES), Type.Null()]),
    permissions: Type.Array(Type.Enum(ADMIN_PERMISSIONS)),
    expires_at: Type.Union([Type.String({ maxLength: 30 }), Type.Null()]),
    /** Where the token is; null when logged out. */
    token_store: Type.Union([Type.Enum(['keyring', 'file']), Type.Null()]),
    token: Type.Optional(Type.String({ pattern: TOKEN_PATTERN })),
  },
  closed,
);
export type StoredSession = Static<typeof StoredSessionSchema>;
const stored = strictValidator(StoredSessionSchema);

export type SessionInfo = Omit<StoredSession, 'v' | 'token' | 'token_store' | keyof BackendTrust>;

export function adminSessionPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'viworks', 'admin.json');
}

async function keyringEntry(path: string) {
  const { Entry } = await import('@napi-rs/keyring');
  // One entry per session file, so separate config dirs (and tests) never share a token.
  return new Entry(KEYRING_SERVICE, path);
}

function writeAtomically(path: string, data: StoredSession): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The stored session, or null when there is none. Refuses a file others can read or write. */
export function loadAdminSession(path = adminSessionPath()): StoredSession | null {
  let text: string;
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0 || (process.getuid && st.uid !== process.getuid())) {
      throw new CliError('VIW_E_CONFIG', {
        message: `${path} is accessible to other users`,
        hint: `Delete it (rm ${path}) and run \`viworks admin login\` again.`,
      });
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return stored.parse(JSON.parse(text), 'VIW_E_CONFIG');
  } catch {
    throw new CliError('VIW_E_CONFIG', {
      message: `${path} is not a valid admin session file`,
      hint: `Delete it (rm ${path}) and run \`viworks admin login\` again.`,
    });
  }
}

/** Stores a new session: the token in the keyring when possible, else in the 0600 file. */
export async function saveAdminSession(
  trust: BackendTrust,
  info: SessionInfo,
  token: string,
  path = adminSessionPath(),
): Promise<'keyring' | 'file'> {
  const mode = process.env.VIWORKS_ADMIN_TOKEN_STORE ?? 'auto';
  let where: 'keyring' | 'file' = 'file';
  if (mode !== 'file') {
    try {
      (await keyringEntry(path)).setPassword(token);
      where = 'keyring';
    } catch (err) {
      if (mode === 'keyring') {
        throw new CliError('VIW_E_KEYSTORE', {
          message: 'The OS keyring cannot store the admin token',
          hint: 'Unlock the keyring, or unset VIWORKS_ADMIN_TOKEN_STORE to use the 0600 session file.',
          details: [err instanceof Error ? err.message.slice(0, 120) : 'keyring error'],
        });
      }
    }
  }
  writeAtomically(path, {
    v: 1,
    backend_url: trust.backend_url,
    ca_pem: trust.ca_pem,
    pins: trust.pins,
    ...info,
    token_store: where,
    ...(where === 'file' ? { token } : {}),
  });
  return where;
}

/** The token of the stored session, or null (logged out, or the keyring lost it). */
export async function adminToken(session: StoredSession, path = adminSessionPath()): Promise<string | null> {
  if (session.token_store === 'file') return session.token ?? null;
  if (session.token_store !== 'keyring') return null;
  try {
    const token = (await keyringEntry(path)).getPassword();
    return token && new RegExp(TOKEN_PATTERN).test(token) ? token : null;
  } catch {
    return null;
  }
}

/** Forgets the token (keyring entry and file copy); keeps the trust settings for the next login. */
export async function clearAdminToken(session: StoredSession, path = adminSessionPath()): Promise<void> {
  if (session.token_store === 'keyring') {
    try {
      (await keyringEntry(path)).deletePassword();
    } catch {
      // already gone, or the keyring is unavailable now: nothing more we can do
    }
  }
  const { token: _dropped, ...rest } = session;
  writeAtomically(path, { ...rest, token_store: null, expires_at: null, permissions: [] });
}
