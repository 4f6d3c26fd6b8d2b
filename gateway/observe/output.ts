// The normalizer's output file: one JSON event per line, appended only (the SIEM forwarder's imfile
// follows it and would resend a file that shrank), 0600 in the normalizer's 0700 directory, rotated
// to `<file>.1` once it reaches MAX_OUTPUT_BYTES (the previous `.1` is dropped; by then the forwarder
// has long shipped it — its queue, not this file, is what holds events while the SIEM is away).
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { PendingRound } from './observer-state.js';

export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface OutputPosition {
  readonly inode: string;
  readonly offset: number;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Where the next round's output goes: the file (rotated first when full) and its current end. */
export function prepareOutput(path: string, rotated: string, maxBytes = MAX_OUTPUT_BYTES): OutputPosition {
  if (sizeOf(path) >= maxBytes) renameSync(path, rotated);
  const fd = openSync(path, 'a', 0o600);
  try {
    const st = fstatSync(fd, { bigint: true });
    return { inode: st.ino.toString(), offset: Number(st.size) };
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, from: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, from + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * How many bytes of `text` the file already holds at `pending.offset`: all of them after a round
 * that was written, a prefix after a crash in the middle of writing it, none before. null when the
 * file is not the one the round was meant for or holds something else there (changed behind the
 * normalizer's back).
 */
function alreadyWritten(fd: number, pending: PendingRound, text: Buffer): number | null {
  const st = fstatSync(fd, { bigint: true });
  if (st.ino.toString() !== pending.inode) return null;
  const size = Number(st.size);
  if (size < pending.offset) return null;
  const there = readRange(fd, pending.offset, Math.min(size - pending.offset, text.length));
  return there.equals(text.subarray(0, there.length)) ? there.length : null;
}

/** Appends what the output lacks of a pending round, then syncs it. Returns the bytes appended. */
export function completeRound(path: string, pending: PendingRound): number {
  const text = Buffer.from(pending.text, 'utf8');
  const fd = openSync(path, 'a+', 0o600);
  try {
    const done = alreadyWritten(fd, pending, text);
    let rest = done === null ? text : text.subarray(done);
    if (done === null) {
      // Start on a line of its own; the events may then appear twice, never not at all.
      const size = fstatSync(fd).size;
      const last = size > 0 ? readRange(fd, size - 1, 1) : Buffer.from('\n');
      if (last[0] !== 0x0a) rest = Buffer.concat([Buffer.from('\n'), rest]);
    }
    let off = 0;
    while (off < rest.length) off += writeSync(fd, rest, off, rest.length - off);
    fsyncSync(fd);
    return rest.length;
  } finally {
    closeSync(fd);
  }
}
