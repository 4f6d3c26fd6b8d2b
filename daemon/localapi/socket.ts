// The local API socket on disk: a root-owned directory (0750, group `viworks` when that group
// exists) holding the socket (0660, same group). Filesystem permissions ARE the authorization
// here: only root and members of `viworks` can connect at all. A stale socket left by a crashed
// daemon is removed; a live one (another daemon answering) or a non-socket file is refused.
import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';

export const SOCKET_GROUP = 'viworks';
export const SOCKET_DIR_MODE = 0o750;
export const SOCKET_MODE = 0o660;

/** The gid of `name` from /etc/group, or null when there is no such group. */
export function groupId(name: string, groupFile = '/etc/group'): number | null {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

const myUid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** Creates or tightens the socket directory and clears a stale socket. */
export async function prepareSocketPath(path: string, gid: number | null): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: SOCKET_DIR_MODE });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw config(`socket directory is not a directory`);
  // Only a directory of our own that is not world-writable (so never /tmp) is ours to tighten.
  if (st.uid === myUid() && (st.mode & 0o002) === 0) {
    await chmod(dir, SOCKET_DIR_MODE);
    if (gid !== null) await chown(dir, st.uid, gid);
  }
  await removeStaleSocket(path);
}

async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (st === null) return;
  if (!st.isSocket()) throw config('the socket path exists and is not a socket');
  if (await answers(path)) throw config('another viworksd is already listening on this socket');
  await unlink(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** After listen(): 0660 and the `viworks` group on the socket itself. */
export async function secureSocket(path: string, gid: number | null): Promise<void> {
  await chmod(path, SOCKET_MODE);
  if (gid !== null) await chown(path, myUid(), gid);
}

function config(detail: string): ViworksError {
  return new ViworksError('VIW_E_CONFIG', { details: [detail] });
}
