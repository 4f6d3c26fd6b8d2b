// The metrics listener's bearer token: one file, 0600, owned by the backend's user, made at first
// start with 32 random bytes when absent (Prometheus reads the same file: `credentials_file`).
// A file that group or others can read or write is refused (VIW_E_CONFIG): a token anyone on the
// host can read protects nothing. Only the token's SHA-256 stays in memory, and a presented token
// is compared digest to digest in constant time, so neither its length nor its prefix leaks.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';

/** RFC 6750 b64token, at least 32 characters (a generated token has 43). */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]{32,256}=*$/;
const MAX_FILE_BYTES = 1024;

export interface MetricsToken {
  /** True when `presented` is the token (constant time). */
  matches(presented: string): boolean;
}

function configError(detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', { details: [`metrics token file: ${detail}`] });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Writes a fresh token without ever replacing one another instance wrote first (link, not rename). */
function createTokenFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function readTokenFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw configError(code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw configError('is not a regular file');
    if ((st.mode & 0o077) !== 0) throw configError('group or others have access to it (chmod 600)');
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw configError('is owned by another user');
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_FILE_BYTES) throw configError('is too large');
    const text = buf.subarray(0, n).toString('utf8').trim();
    buf.fill(0);
    if (!TOKEN_PATTERN.test(text)) throw configError('does not hold a token of 32 to 256 token characters');
    return text;
  } finally {
    closeSync(fd);
  }
}

/** Loads the token at `path`, creating it first when absent. Throws VIW_E_CONFIG (never the token). */
export function loadOrCreateMetricsToken(path: string): MetricsToken {
  try {
    lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') createTokenFile(path);
  }
  const expected = digest(readTokenFile(path));
  return { matches: (presented) => timingSafeEqual(digest(presented), expected) };
}
