// The WORM copy of the audit trail on a local directory (docs/audit.md#worm): each sealed batch and
// manifest is written once, fsync'd, and made immutable (FS_IMMUTABLE_FL), so that neither a bug
// nor an intruder with root — short of CAP_LINUX_IMMUTABLE — can rewrite history in place.
//
// put() writes a temp file beside the target (O_EXCL, 0400 once written, fsync'd) and moves it in
// with link(2) rather than rename(2): rename silently replaces a target that appeared meanwhile
// (a concurrent put, or a crash between rename and the flag), link fails with EEXIST, so a name is
// never overwritten. The directory is fsync'd before the flag goes on. A crash after the link and
// before the flag leaves a writable file; the batcher's retry of the same bytes sets the flag.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import type { AuditArchive } from '../archive.js';
import { fsyncDir, makeDirs } from './durable-dirs.js';
import { checkEntryName } from './entry-name.js';
import { ImmutableFlagError, type InodeFlags, withInodeFd } from './immutable-flag.js';
import { probeWormDirectory } from './probe.js';
import { sweepExpired } from './sweep.js';

/** The largest file put() takes (a minute's batch stays far below it). */
export const MAX_WORM_FILE_BYTES = 256 * 1024 * 1024;
const MAX_RETENTION_DAYS = 36_500;

export interface WormSettings {
  /** audit.worm.dir */
  readonly dir: string;
  /** audit.worm.retentionDays */
  readonly retentionDays: number;
}

/**
 * Creates `dir` (0700) if missing, proves it is write-once (probe.ts) and returns the archive on
 * it. Throws VIW_E_CONFIG naming the setting and the cause when the directory cannot serve.
 */
export async function openWormArchive(settings: WormSettings): Promise<AuditArchive> {
  const { retentionDays } = settings;
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`audit.worm.retentionDays: a whole number of days from 1 to ${MAX_RETENTION_DAYS}`],
    });
  }
  const dir = resolve(settings.dir);
  const flags = await probeWormDirectory(dir);
  return {
    dir,
    put: (name, data) => putOnce(dir, flags, name, data),
    sweep: (now) => sweepExpired(dir, retentionDays, now, flags),
  };
}

async function putOnce(dir: string, flags: InodeFlags, name: string, data: Uint8Array): Promise<void> {
  const target = join(dir, checkEntryName(name));
  if (data.byteLength > MAX_WORM_FILE_BYTES) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: [`audit.worm entry ${name}: ${data.byteLength} bytes, at most ${MAX_WORM_FILE_BYTES}`],
    });
  }
  if (await settleExisting(target, flags, name, data)) return;
  await makeParents(dir, dirname(target), name);
  const temp = join(dirname(target), `.${randomBytes(8).toString('hex')}.tmp`);
  await writeTemp(temp, data);
  try {
    await link(temp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else's put won the race: same bytes are fine, others a conflict.
    if (!(await settleExisting(target, flags, name, data))) throw conflict(name);
    return;
  } finally {
    await unlink(temp);
  }
  await fsyncDir(dirname(target));
  makeImmutable(target, flags, name);
}

/** true when `target` already holds `data` (made immutable if a crash left it writable). */
async function settleExisting(
  target: string,
  flags: InodeFlags,
  name: string,
  data: Uint8Array,
): Promise<boolean> {
  let existing: Buffer;
  try {
    const st = await lstat(target);
    // A size check first: an unexpected large file is never read into memory.
    if (!st.isFile()) throw conflict(name, 'taken by something not a regular file');
    if (st.size !== data.byteLength) throw conflict(name);
    existing = await readFile(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw conflict(name, PARENT_TAKEN);
    throw err;
  }
  if (!existing.equals(data)) throw conflict(name);
  makeImmutable(target, flags, name);
  return true;
}

const PARENT_TAKEN = 'a parent path is taken by something not a directory';

function conflict(name: string, why = 'exists with other content; it is never overwritten'): ViworksError {
  return new ViworksError('VIW_E_CONFLICT', {
    message: 'The WORM copy already holds something else under this name',
    details: [`audit.worm entry ${name}: ${why}`],
  });
}

function makeImmutable(target: string, flags: InodeFlags, name: string): void {
  try {
    withInodeFd(target, (fd) => flags.set(fd));
  } catch (err) {
    const why = err instanceof ImmutableFlagError ? err.errno : (err as NodeJS.ErrnoException).code;
    throw new ViworksError('VIW_E_INTERNAL', {
      message: 'A WORM file was written but could not be made immutable',
      details: [`audit.worm entry ${name}: FS_IMMUTABLE_FL not set (${why}); a retry of put() sets it`],
    });
  }
}

async function writeTemp(temp: string, data: Uint8Array): Promise<void> {
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.chmod(0o400);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/** The entry's parent directories (0700, durable); a non-directory in the way is a conflict. */
async function makeParents(root: string, parent: string, name: string): Promise<void> {
  try {
    await makeDirs(parent, root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    throw conflict(name, PARENT_TAKEN);
  }
}
