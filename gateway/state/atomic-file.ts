// Every file viworks-gw writes goes through here: a temp file in the same directory, written,
// fsynced and renamed over the target, then the directory fsynced — a crash or a concurrent reader
// sees the old file or the new one, never half of one. The mode is set on the descriptor before any
// byte is written, so a secret never exists with wider permissions, whatever the umask.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** The file's bytes, or undefined when it does not exist. */
export function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes only when the content or the mode differ; returns whether it wrote. This is what makes
 * every verb idempotent and lets it answer `changed` truthfully.
 */
export function writeFileIfChanged(path: string, data: string | Uint8Array, mode: number): boolean {
  const want = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const have = readIfExists(path);
  try {
    if (have?.equals(want) && (statSync(path).mode & 0o7777) === mode) return false;
    writeFileAtomic(path, want, mode);
    return true;
  } finally {
    // The old and new contents may be key material.
    have?.fill(0);
    if (typeof data === 'string') want.fill(0);
  }
}

/** Removes a file; returns whether it existed. */
export function removeIfExists(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Creates the file's directory (0755: the daemons, possibly unprivileged, must traverse it). */
export function ensureParentDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
}
