// Directories that survive a crash: each one made is fsync'd into its parent, as is every new entry.
//
// makeDirs walks up and creates one level at a time instead of using mkdir({ recursive: true }):
// Node 20's recursive mkdir spins forever, at full CPU, where a parent exists but cannot hold
// children (a path under /proc, a dangling symlink: mkdir answers ENOENT, the parent EEXIST, and it
// retries; measured with Node 20.20 on /proc/viw). Here every error is final.
import { type FileHandle, lstat, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

function errnoError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code, path });
}

/**
 * Creates `path` and its missing parents (0700). Below `root` (a directory that exists) every level
 * must be a real directory, never a symlink (ENOTDIR otherwise); above it, or without a root,
 * symlinked directories are followed as the operator configured them. Returns true when `path`
 * itself was made.
 */
export async function makeDirs(path: string, root?: string): Promise<boolean> {
  if (path === root || path === dirname(path)) return false;
  try {
    const st = root === undefined ? await stat(path) : await lstat(path);
    if (st.isDirectory()) return false;
    throw errnoError('ENOTDIR', path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await makeDirs(dirname(path), root);
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (err) {
    // Made meanwhile by a concurrent put: fine. Any other error is final, never retried.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await fsyncDir(dirname(path));
  return true;
}

/** Makes the entries of `path` (a directory) durable. */
export async function fsyncDir(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } finally {
    await handle?.close();
  }
}
