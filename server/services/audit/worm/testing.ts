// Test-only helpers for the WORM tests: scratch directories on a persistent filesystem (the flag
// probe refuses tmpfs, and /tmp is tmpfs on many machines), scratch mounts, lsattr's view of a file,
// and a teardown that clears every flag before removing, so no immutable litter survives a test.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FS_APPEND_FL, FS_IMMUTABLE_FL, type InodeFlags, inodeFlags, withInodeFd } from './immutable-flag.js';

const TMPFS = 0x01021994;
const RAMFS = 0x858458f6;

/** A new directory on a disk-backed filesystem: the OS temp dir unless it is in memory, else /var/tmp. */
export function persistentTempDir(prefix: string): string {
  const base = [tmpdir(), '/var/tmp'].find((d) => {
    const { type } = statfsSync(d);
    return type !== TMPFS && type !== RAMFS;
  });
  if (base === undefined) throw new Error('no disk-backed temp directory (both /tmp and /var/tmp in memory)');
  return mkdtempSync(join(base, prefix));
}

/** The attribute letters `lsattr -d` prints for `path` (`----i---------e-------`). */
export function lsattr(path: string): string {
  const out = execFileSync('lsattr', ['-d', path], { encoding: 'utf8' });
  const letters = out.trim().split(/\s+/)[0];
  if (letters === undefined) throw new Error(`lsattr printed nothing for ${path}`);
  return letters;
}

/** Mounts a fresh `type` filesystem (ramfs, tmpfs) on a new directory `dir`. */
export function mountScratch(dir: string, type: 'ramfs' | 'tmpfs', options = 'mode=0700'): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  execFileSync('mount', ['-t', type, '-o', options, `viworks-test-${type}`, dir]);
}

export function unmountScratch(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // Not mounted (the test failed before its mount).
  }
}

function clearAll(path: string, flags: InodeFlags): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) return;
  if (st.isFile() || st.isDirectory()) {
    try {
      withInodeFd(path, (fd) => flags.clear(fd, FS_IMMUTABLE_FL | FS_APPEND_FL));
    } catch {
      // A filesystem without flags has nothing to clear.
    }
  }
  if (st.isDirectory()) for (const name of readdirSync(path)) clearAll(join(path, name), flags);
}

/** Clears FS_IMMUTABLE_FL and FS_APPEND_FL under `path` (never through a symlink), then removes it. */
export async function removeTree(path: string): Promise<void> {
  clearAll(path, await inodeFlags());
  rmSync(path, { recursive: true, force: true });
}
