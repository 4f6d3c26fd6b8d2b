// Reading a daemon's log forward from a cursor (core/gateway/dataplane/cursor.ts): the lines after
// the cursor's offset if the file is still the one it names, else from the start of the file that
// replaced it (after finishing the rotated `<file>.1` when that is the cursor's file). Only complete
// lines are taken: a line the daemon is still writing waits for the next pull. A line longer than
// MAX_FORWARD_LINE_BYTES is cut to that length, so no single line can stall the cursor or the reply.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  FIRST_LINE_HASH_BYTES,
  formatCursor,
  type LogCursor,
  NO_FILE_CURSOR,
} from '../../core/gateway/dataplane/cursor.js';

export const MAX_FORWARD_LINE_BYTES = 8 * 1024;
/** Bytes read per pull (the reply is bounded again by its JSON size). */
const READ_BYTES = 1024 * 1024;
const ZERO_HEAD = '0'.repeat(16);
/** The cursor of a file that does not exist yet (NO_FILE_CURSOR). */
const NO_FILE_YET: LogCursor = { inode: '0', head: ZERO_HEAD, offset: 0 };

interface OpenFile {
  readonly fd: number;
  readonly inode: string;
  readonly size: number;
  readonly head: string;
}

function openLog(path: string): OpenFile | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const first = Buffer.alloc(FIRST_LINE_HASH_BYTES);
    const n = readSync(fd, first, 0, first.length, 0);
    const nl = first.subarray(0, n).indexOf(0x0a);
    const head =
      n === 0
        ? ZERO_HEAD
        : createHash('sha256')
            .update(first.subarray(0, nl >= 0 ? nl + 1 : n))
            .digest('hex')
            .slice(0, 16);
    return { fd, inode: st.ino.toString(), size: Number(st.size), head };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Up to `length` bytes of the file at `offset` (fewer at its end). */
export function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, length));
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, offset + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * The cursor still points into this file: same inode, not past its end, same first line. (A file
 * truncated and rewritten past the old offset with the same first line is not told apart: fwknopd's
 * first line is always "Starting fwknopd", stunnel's and OpenVPN's carry the time.)
 */
function continues(file: OpenFile, c: LogCursor): boolean {
  if (file.inode !== c.inode || c.offset > file.size) return false;
  return c.offset === 0 || file.head === c.head;
}

export interface ForwardRead {
  /** Complete lines, decoded as UTF-8 (invalid bytes become U+FFFD), without their newline. */
  readonly lines: string[];
  /** Where the next pull starts. */
  readonly next: LogCursor;
  readonly restarted: boolean;
  /** No complete line is left after `next` (in the file the lines came from). */
  readonly eof: boolean;
  /** The lines came from the live file (not from its rotated predecessor). */
  readonly live: boolean;
}

/**
 * Complete lines at the start of `buf` and the bytes each used. An overlong line gives its first
 * MAX_FORWARD_LINE_BYTES and is consumed through its newline; one with no newline in a full read
 * buffer is consumed whole (what follows reads as a new line), so nothing can stall the cursor.
 */
function splitLines(buf: Buffer, full: boolean): { lines: Buffer[]; used: number[] } {
  const lines: Buffer[] = [];
  const used: number[] = [];
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      if (full && start === 0) {
        lines.push(buf.subarray(0, MAX_FORWARD_LINE_BYTES));
        used.push(buf.length);
      }
      break; // an incomplete last line waits for the next pull
    }
    lines.push(buf.subarray(start, Math.min(nl, start + MAX_FORWARD_LINE_BYTES)));
    used.push(nl + 1 - start);
    start = nl + 1;
  }
  return { lines, used };
}

function readLines(
  file: OpenFile,
  from: number,
  maxLines: number,
  maxJsonBytes: number,
): { lines: string[]; next: number; eof: boolean } {
  const buf = readAt(file.fd, from, Math.min(READ_BYTES, file.size - from));
  const { lines, used } = splitLines(buf, buf.length === READ_BYTES);
  const out: string[] = [];
  let next = from;
  let json = 0;
  for (let i = 0; i < lines.length && out.length < maxLines; i++) {
    const text = (lines[i] ?? Buffer.alloc(0)).toString('utf8');
    const cost = JSON.stringify(text).length + 1;
    if (json + cost > maxJsonBytes) break;
    json += cost;
    out.push(text);
    next += used[i] ?? 0;
  }
  return { lines: out, next, eof: atEnd(file, next, out.length < lines.length, buf.length === READ_BYTES) };
}

/**
 * At the end when what is left after `next` holds no complete line. A line of the buffer left
 * unread is one; when the whole buffer was taken and the file ended inside it, only its unfinished
 * tail is left. Only a full buffer taken to its last line needs another look past it.
 */
function atEnd(file: OpenFile, next: number, lineLeft: boolean, bufferFull: boolean): boolean {
  if (lineLeft) return false;
  if (!bufferFull) return true;
  const rest = readAt(file.fd, next, Math.min(READ_BYTES, file.size - next));
  return rest.indexOf(0x0a) < 0 && rest.length < READ_BYTES;
}

/** The offset right after the last complete line (where `end` starts). */
function endOfCompleteLines(file: OpenFile): number {
  const tail = Math.min(file.size, READ_BYTES);
  const buf = readAt(file.fd, file.size - tail, tail);
  const nl = buf.lastIndexOf(0x0a);
  // No newline in the last MiB: start in that line (the rest of it reads as one line).
  return nl >= 0 ? file.size - tail + nl + 1 : file.size - tail;
}

const cursorOf = (file: OpenFile, offset: number): LogCursor => ({
  inode: file.inode,
  head: file.head,
  offset,
});

export function cursorAtEnd(path: string): LogCursor {
  const file = openLog(path);
  if (!file) return NO_FILE_YET;
  try {
    return cursorOf(file, endOfCompleteLines(file));
  } finally {
    closeSync(file.fd);
  }
}

/** Lines after `cursor` in the log at `path`, at most `maxLines` and `maxJsonBytes` of JSON strings. */
export function readForward(
  path: string,
  cursor: LogCursor,
  maxLines: number,
  maxJsonBytes: number,
): ForwardRead {
  const live = openLog(path);
  try {
    if (live && continues(live, cursor)) {
      const r = readLines(live, cursor.offset, maxLines, maxJsonBytes);
      return { lines: r.lines, next: cursorOf(live, r.next), restarted: false, eof: r.eof, live: true };
    }
    // Rotated away: finish the old file first, if it is still there as <path>.1.
    let finishedOld = false;
    if (cursor.inode !== '0' && (!live || live.inode !== cursor.inode)) {
      const old = openLog(`${path}.1`);
      if (old) {
        try {
          if (continues(old, cursor)) {
            const r = readLines(old, cursor.offset, maxLines, maxJsonBytes);
            if (r.lines.length > 0) {
              return {
                lines: r.lines,
                next: cursorOf(old, r.next),
                restarted: false,
                eof: false,
                live: false,
              };
            }
            finishedOld = r.eof;
          }
        } finally {
          closeSync(old.fd);
        }
      }
    }
    if (!live) {
      const unchanged = formatCursor(cursor) === NO_FILE_CURSOR;
      return {
        lines: [],
        next: NO_FILE_YET,
        restarted: !unchanged,
        eof: true,
        live: true,
      };
    }
    const r = readLines(live, 0, maxLines, maxJsonBytes);
    // Nothing was skipped when the file did not exist before (inode 0) or its predecessor was read to the end.
    const restarted = !finishedOld && (cursor.inode !== '0' || cursor.offset !== 0);
    return { lines: r.lines, next: cursorOf(live, r.next), restarted, eof: r.eof, live: true };
  } finally {
    if (live) closeSync(live.fd);
  }
}
