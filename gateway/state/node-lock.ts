// One request at a time per node: two backend workers (or a retry racing its original) must never
// interleave writes to access.conf, the CCD directory or the audit sequence. The lock is a file
// created with O_EXCL holding the owner's PID; a lock whose owner is gone (killed mid-request) is
// taken over, and the takeover itself is race-free: the stale file is renamed to a name only this
// process uses, and put back if it turns out not to be the stale one after all.
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';

const LOCK_NAME = 'viworks-gw.lock';
const POLL_MS = 25;

export interface NodeLock {
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerPid(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^[0-9]{1,10}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Moves a lock whose owner is dead out of the way; a live owner's lock is restored untouched. */
function clearIfStale(path: string): void {
  const pid = ownerPid(path);
  // A lock without a PID yet is being created right now (between open and write): leave it.
  if (pid === undefined || pidAlive(pid)) return;
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else took it over first
  }
  const moved = ownerPid(aside);
  if (moved !== undefined && moved !== pid && pidAlive(moved)) {
    // We moved a fresh lock, not the stale one: put it back (link fails if a third one exists).
    try {
      linkSync(aside, path);
    } catch {
      // a new lock exists; the fresh owner keeps running unaware, as with any stale takeover
    }
  }
  unlinkSync(aside);
}

export async function acquireNodeLock(stateDir: string, timeoutMs: number): Promise<NodeLock> {
  const path = join(stateDir, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(path)) {
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          if (ownerPid(path) === process.pid) unlinkSync(path);
        },
      };
    }
    clearIfStale(path);
    if (Date.now() >= deadline) {
      throw new ViworksError('VIW_E_CONFLICT', { message: 'the gateway is busy with another request' });
    }
    await sleep(POLL_MS);
  }
}
