// The start-up probe: before the backend relies on audit.worm.dir it proves, on a throw-away file,
// that the directory really is write-once — the flag can be set and reads back set, the bytes read
// back, and an append and an unlink are refused (EPERM) — and that it survives a reboot. Any failure
// stops the start with VIW_E_CONFIG naming the setting and the cause in words (no stack: the
// details are what the operator sees).
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { makeDirs } from './durable-dirs.js';
import { filesystemOf } from './filesystem.js';
import { ImmutableFlagError, type InodeFlags, inodeFlags, withInodeFd } from './immutable-flag.js';

/** Probe files start with a dot, a name no archive entry can take (entry-name.ts). */
export const PROBE_PREFIX = '.worm-probe-';

const SETTING = 'audit.worm.dir';

function refuse(dir: string, cause: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', {
    message: `${SETTING} cannot hold the write-once audit copy`,
    details: [`${SETTING}: ${dir}: ${cause}`],
  });
}

function errnoOf(err: unknown): string {
  if (err instanceof ImmutableFlagError) return err.errno;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

function notWritable(err: unknown): string {
  const code = errnoOf(err);
  const why = code === 'EROFS' ? 'read-only filesystem' : code;
  return `the directory is not writable (${why}): give the service user write access or pick another directory`;
}

function flagCause(err: unknown, fsName: string): string {
  if (!(err instanceof ImmutableFlagError)) return `setting FS_IMMUTABLE_FL failed (${errnoOf(err)})`;
  switch (err.failure) {
    case 'no-capability':
      return (
        'the process lacks CAP_LINUX_IMMUTABLE (setting FS_IMMUTABLE_FL was refused with EPERM): ' +
        'run the server as root or grant the service the capability ' +
        '(systemd: AmbientCapabilities=CAP_LINUX_IMMUTABLE)'
      );
    case 'unsupported':
      return (
        `the filesystem (${fsName}) has no immutable files (FS_IMMUTABLE_FL: ${err.errno}), ` +
        'as tmpfs, ramfs, NFS or FAT: use a directory on a local ext4, XFS or btrfs filesystem'
      );
    case 'read-only':
      return notWritable(err);
    default:
      return `setting FS_IMMUTABLE_FL failed (${err.errno})`;
  }
}

async function loadFlags(dir: string): Promise<InodeFlags> {
  try {
    return await inodeFlags();
  } catch (err) {
    if (err instanceof ImmutableFlagError) {
      throw refuse(
        dir,
        `immutable files are supported on x86_64 and aarch64 Linux only, not ${process.platform}/${process.arch}`,
      );
    }
    throw refuse(dir, 'the FFI binding (koffi) could not be loaded: reinstall the dependencies (npm ci)');
  }
}

async function ensureDirectory(dir: string): Promise<void> {
  try {
    // mkdir's mode passes through the umask: set 0700 again on what it made.
    if (await makeDirs(dir)) await chmod(dir, 0o700);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOTDIR' || code === 'EEXIST') throw refuse(dir, 'it or a parent is not a directory');
    if (code === 'ENOENT') {
      throw refuse(
        dir,
        'it cannot be created there (ENOENT: a dangling symlink, or a filesystem such as /proc)',
      );
    }
    throw refuse(dir, notWritable(err));
  }
}

/** A probe file left immutable by a crash mid-probe would stay forever: remove it first. */
async function removeStaleProbes(dir: string, flags: InodeFlags): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(PROBE_PREFIX)) await dropProbe(join(dir, name), flags);
  }
}

async function dropProbe(path: string, flags: InodeFlags): Promise<void> {
  try {
    withInodeFd(path, (fd) => flags.clear(fd));
  } catch {
    // Gone, or a filesystem without the flag: the unlink below settles both.
  }
  await unlink(path).catch(() => undefined);
}

/** Expects `attempt` to be refused with EPERM; returns a cause when it was not. */
async function refused(
  attempt: () => Promise<unknown>,
  what: string,
  fsName: string,
): Promise<string | null> {
  try {
    await attempt();
  } catch (err) {
    if (errnoOf(err) === 'EPERM') return null;
    return `an ${what} of an immutable file failed with ${errnoOf(err)} instead of EPERM (${fsName})`;
  }
  return `the filesystem (${fsName}) took FS_IMMUTABLE_FL but still allowed an ${what}`;
}

async function probeFile(dir: string, probe: string, flags: InodeFlags, fsName: string): Promise<void> {
  const bytes = randomBytes(32);
  try {
    await writeFile(probe, bytes, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    throw refuse(dir, notWritable(err));
  }
  try {
    withInodeFd(probe, (fd) => flags.set(fd));
  } catch (err) {
    throw refuse(dir, flagCause(err, fsName));
  }
  if (!withInodeFd(probe, (fd) => flags.isImmutable(fd))) {
    throw refuse(dir, `the filesystem (${fsName}) accepted FS_IMMUTABLE_FL but does not keep it`);
  }
  if (!bytes.equals(await readFile(probe))) throw refuse(dir, 'a file read back different bytes');
  const cause =
    (await refused(() => appendFile(probe, 'x'), 'append', fsName)) ??
    (await refused(() => unlink(probe), 'unlink', fsName));
  if (cause !== null) throw refuse(dir, cause);
  try {
    withInodeFd(probe, (fd) => flags.clear(fd));
    await unlink(probe);
  } catch (err) {
    throw refuse(dir, `the probe file could not be made writable and removed again (${errnoOf(err)})`);
  }
}

/** Proves `dir` (created 0700 if missing) is write-once and persistent; else VIW_E_CONFIG. */
export async function probeWormDirectory(dir: string): Promise<InodeFlags> {
  try {
    return await probe(dir);
  } catch (err) {
    // Whatever was not foreseen still reaches the operator as the setting and an errno, no stack.
    if (err instanceof ViworksError) throw err;
    throw refuse(dir, `the probe failed (${errnoOf(err)})`);
  }
}

async function probe(dir: string): Promise<InodeFlags> {
  const flags = await loadFlags(dir);
  await ensureDirectory(dir);
  await removeStaleProbes(dir, flags);
  const fs = await filesystemOf(dir);
  const probe = join(dir, `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`);
  try {
    await probeFile(dir, probe, flags, fs.name);
  } finally {
    await dropProbe(probe, flags);
  }
  if (fs.volatile) {
    throw refuse(
      dir,
      `it is on ${fs.name}, a filesystem without lasting immutable files (held in memory, emptied at ` +
        'every reboot): use a directory on a local ext4, XFS or btrfs filesystem',
    );
  }
  return flags;
}
