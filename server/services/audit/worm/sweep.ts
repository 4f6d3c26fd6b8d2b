// The retention sweep: every regular file under the WORM directory (batches and manifests alike)
// whose mtime is older than the retention loses its flag and is removed. mtime is the moment put()
// wrote the file, and cannot be moved afterwards: utimes on an immutable file is refused.
//
// It never leaves the directory: the walk does not follow symlinks, each file is opened with
// O_NOFOLLOW and checked on its own fd (fstat) before anything changes. A file that cannot be
// removed keeps (gets back) its flag and is reported in WormSweepIncomplete, after the rest is done.
import { constants } from 'node:fs';
import { type FileHandle, open, opendir, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { FS_APPEND_FL, FS_IMMUTABLE_FL, type InodeFlags } from './immutable-flag.js';

const DAY_MS = 86_400_000;
/** Both flags keep a file from being removed. */
const PROTECTION = FS_IMMUTABLE_FL | FS_APPEND_FL;
const MAX_REPORTED = 20;

export interface SweepLeftover {
  /** Relative to the WORM directory. */
  readonly name: string;
  /** errno by name. */
  readonly cause: string;
}

/** Some expired files could not be removed; they stay, immutable. The caller logs this. */
export class WormSweepIncomplete extends ViworksError {
  constructor(
    readonly removed: number,
    readonly left: readonly SweepLeftover[],
  ) {
    super('VIW_E_INTERNAL', {
      message: `audit.worm retention sweep removed ${removed} file(s) but could not remove ${left.length}`,
      details: left.slice(0, MAX_REPORTED).map((l) => `${l.name}: ${l.cause}`),
    });
  }
}

async function* regularFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of await opendir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* regularFiles(path);
    else if (entry.isFile()) yield path;
  }
}

function errnoOf(err: unknown): string {
  const code = (err as { errno?: unknown; code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'string' ? errno : 'unknown error';
}

type Outcome = 'kept' | 'removed';

async function expire(path: string, cutoffMs: number, flags: InodeFlags): Promise<Outcome> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 'kept';
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.mtimeMs >= cutoffMs) return 'kept';
    const had = flags.get(handle.fd) & PROTECTION;
    flags.clear(handle.fd, PROTECTION);
    try {
      await unlink(path);
    } catch (err) {
      // Left in place: it must stay as protected as it was.
      if (had !== 0) flags.set(handle.fd, had);
      throw err;
    }
    return 'removed';
  } finally {
    await handle.close();
  }
}

/** Removes the files under `dir` older than `retentionDays` at `now`; returns how many went. */
export async function sweepExpired(
  dir: string,
  retentionDays: number,
  now: Date,
  flags: InodeFlags,
): Promise<number> {
  const cutoffMs = now.getTime() - retentionDays * DAY_MS;
  let removed = 0;
  const left: SweepLeftover[] = [];
  for await (const path of regularFiles(dir)) {
    try {
      if ((await expire(path, cutoffMs, flags)) === 'removed') removed++;
    } catch (err) {
      left.push({ name: relative(dir, path), cause: errnoOf(err) });
    }
  }
  if (left.length > 0) throw new WormSweepIncomplete(removed, left);
  return removed;
}
