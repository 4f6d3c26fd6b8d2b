// One shipping path's local disk spool (pki-siem §4.4, §6 "SIEM down: logs buffered locally"): the
// events between what the receiver provably has (the `acked` cursor) and what was last taken from the
// database, as append-only NDJSON segment files, fsync'd per append and bounded by maxBytes.
//
// The database stays the source of truth, so the spool only ever caches a contiguous range of it.
// Whatever the spool cannot hold or loses (full, disk full, a line torn by kill -9, a damaged file)
// is cut away, reported and taken again from the database by seq; nothing is ever skipped.
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from 'typebox';
import { AuditEventSchema } from '../../../../core/audit/event.js';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../../core/schema/strict.js';
import { ensurePrivateDir } from '../../../fs/private-files.js';
import type { ShippedRecord } from './transport.js';

const SEGMENT_NAME = /^seg-(\d{16})\.ndjson$/;
const CURSOR_FILE = 'acked';
const CURSOR_TMP = /^\.acked-[0-9a-f]+\.tmp$/;
/** Any line longer than this is damage: the event schema keeps a record far below it. */
const MAX_LINE_BYTES = 128 * 1024;
const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' });
const spooledRecord = strictValidator(
  Type.Object(
    { seq: Type.Integer({ minimum: 1 }), hash: Hash, prevHash: Hash, event: AuditEventSchema },
    closed,
  ),
);
const cursorFile = strictValidator(Type.Object({ acked: Type.Integer({ minimum: 0 }) }, closed));

export interface SpoolOptions {
  /** <dataDir>/audit/spool/<path>; made 0700. */
  readonly dir: string;
  /** Most bytes the segment files may hold together (one record is always let into an empty spool). */
  readonly maxBytes: number;
  /** A segment is closed for appends at this size; default maxBytes/8 within [1 KiB, 8 MiB]. */
  readonly segmentBytes?: number;
  /** Told when damage is found and cut away (the records come again from the database). */
  readonly onDamage?: (reason: string) => void;
}

interface Segment {
  readonly firstSeq: number;
  readonly name: string;
  size: number;
}

interface ScannedLine {
  readonly seq: number;
  readonly end: number;
  readonly timestamp: string;
}

/** A record read for sending, with where the next record starts. */
interface ReadPosition {
  readonly seq: number;
  readonly segment: string;
  readonly end: number;
  readonly timestamp: string;
}

export class Spool {
  private segments: Segment[] = [];
  private writer: { name: string; handle: FileHandle } | null = null;
  private acked = 0;
  private last = 0;
  /** Where the first unacknowledged record starts. */
  private cursor: { segment: string; offset: number } | null = null;
  private readAhead: ReadPosition[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly segmentBytes: number;

  private constructor(private readonly opts: SpoolOptions) {
    this.segmentBytes =
      opts.segmentBytes ?? Math.min(8 * 1024 * 1024, Math.max(1024, Math.floor(opts.maxBytes / 8)));
  }

  /** Opens (or creates) the spool and repairs what a crash left: torn lines, stale segments, gaps. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 4096)
      throw new ViworksError('VIW_E_CONFIG', { details: ['spool: maxBytes below 4096'] });
    const spool = new Spool(opts);
    await spool.recover();
    return spool;
  }

  /** The last seq the receiver provably has (persisted, or newer in memory when persisting failed). */
  get ackedSeq(): number {
    return this.acked;
  }

  /** The last seq taken into the spool (= ackedSeq when it holds nothing unsent). */
  get lastSeq(): number {
    return this.last;
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  get hasUnacked(): boolean {
    return this.last > this.acked;
  }

  /** The timestamp of the oldest unacknowledged record once a batch has been read, else null. */
  get oldestUnackedTimestamp(): string | null {
    return this.readAhead[0]?.timestamp ?? null;
  }

  /**
   * Appends records (seq ascending, after lastSeq) with one write and one fsync; returns how many it
   * took (fewer when the spool is full). On an I/O error (ENOSPC…) the partial write is cut away and
   * the error thrown; the spool is unchanged.
   */
  append(records: readonly ShippedRecord[]): Promise<number> {
    return this.exclusive(() => this.appendNow(records));
  }

  /** Reads up to maxRecords / maxBytes (line bytes) from the oldest unacknowledged record on. */
  readBatch(maxRecords: number, maxBytes: number): Promise<ShippedRecord[]> {
    return this.exclusive(() => this.readNow(maxRecords, maxBytes));
  }

  /**
   * The receiver has every record up to seq (one that readBatch returned). The cursor file is
   * written first and ackedSeq moves only when this settles; wholly acknowledged segments are
   * deleted. Rejects when the cursor could not be persisted (ackedSeq moves in memory all the same;
   * the next ack retries; a restart before then sends those records again).
   */
  ack(seq: number): Promise<void> {
    return this.exclusive(() => this.ackNow(seq));
  }

  close(): Promise<void> {
    return this.exclusive(() => this.closeWriter());
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private path(name: string): string {
    return join(this.opts.dir, name);
  }

  private async recover(): Promise<void> {
    ensurePrivateDir(this.opts.dir);
    const names = await readdir(this.opts.dir);
    for (const name of names) if (CURSOR_TMP.test(name)) await unlink(this.path(name)).catch(() => {});
    this.acked = await this.readCursor();
    this.last = this.acked;
    for (const name of names.sort()) {
      const m = SEGMENT_NAME.exec(name);
      if (m) this.segments.push({ firstSeq: Number(m[1]), name, size: (await stat(this.path(name))).size });
    }
    // Segments whose successor starts at or before acked+1 hold only acknowledged records.
    while (this.segments.length > 1 && (this.segments[1] as Segment).firstSeq <= this.acked + 1)
      await this.dropSegment(0);
    await this.recoverTail();
    const first = this.segments[0];
    if (first && first.firstSeq > this.acked + 1) {
      this.damage(`spool starts at ${first.firstSeq} but ${this.acked} is the last acknowledged`);
      while (this.segments.length > 0) await this.dropSegment(0);
      this.last = this.acked;
    }
    await this.placeCursor();
  }

  private async readCursor(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.path(CURSOR_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    try {
      return cursorFile.parse(JSON.parse(text)).acked;
    } catch {
      this.damage('acknowledgement cursor unreadable; sending again from the start');
      return 0;
    }
  }

  /** Finds the last good record; cuts torn or damaged lines away (from the first bad one on). */
  private async recoverTail(): Promise<void> {
    while (this.segments.length > 0) {
      const index = this.segments.length - 1;
      const seg = this.segments[index] as Segment;
      const { lines, badAt } = await this.scan(seg);
      if (badAt !== null) await this.cutAt(index, badAt, 'torn or damaged record');
      const lastLine = lines[lines.length - 1];
      if (lastLine) {
        this.last = Math.max(this.acked, lastLine.seq);
        if (lastLine.seq <= this.acked) while (this.segments.length > 0) await this.dropSegment(0);
        return;
      }
      if (this.segments[index]) await this.dropSegment(index);
    }
  }

  /** Puts the cursor on the first record after acked (in the first segment, by construction). */
  private async placeCursor(): Promise<void> {
    this.cursor = null;
    const seg = this.segments[0];
    if (!seg) return;
    const { lines, badAt } = await this.scan(seg);
    const next = lines.findIndex((l) => l.seq > this.acked);
    if (badAt !== null) {
      await this.cutAt(0, badAt, 'damaged record');
      this.last = Math.max(this.acked, lines[lines.length - 1]?.seq ?? 0);
    }
    if (!this.segments[0]) return;
    const offset = next <= 0 ? 0 : (lines[next - 1] as ScannedLine).end;
    this.cursor = { segment: seg.name, offset: next === -1 ? seg.size : offset };
    await this.dropAckedSegments();
  }

  private async scan(seg: Segment): Promise<{ lines: ScannedLine[]; badAt: number | null }> {
    const data = await readFile(this.path(seg.name));
    const lines: ScannedLine[] = [];
    let start = 0;
    let prevSeq = seg.firstSeq - 1;
    while (start < data.length) {
      const nl = data.indexOf(10, start);
      const record = nl === -1 ? null : parseLine(data.subarray(start, nl));
      if (!record || record.seq <= prevSeq || (lines.length === 0 && record.seq !== seg.firstSeq))
        return { lines, badAt: start };
      lines.push({ seq: record.seq, end: nl + 1, timestamp: record.event.timestamp });
      prevSeq = record.seq;
      start = nl + 1;
    }
    return { lines, badAt: null };
  }

  /** Truncates segment `index` at `offset` (deleting it when nothing is left) and every later segment. */
  private async cutAt(index: number, offset: number, why: string): Promise<void> {
    const seg = this.segments[index] as Segment;
    this.damage(`${why} in ${seg.name} at byte ${offset}; cut away, to be taken again from the database`);
    while (this.segments.length > index + 1) await this.dropSegment(this.segments.length - 1);
    if (offset === 0) {
      await this.dropSegment(index);
      return;
    }
    await this.closeWriter();
    const handle = await open(this.path(seg.name), 'r+');
    try {
      await handle.truncate(offset);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    seg.size = offset;
  }

  private async dropSegment(index: number): Promise<void> {
    const [seg] = this.segments.splice(index, 1);
    if (!seg) return;
    if (this.writer?.name === seg.name) await this.closeWriter();
    await unlink(this.path(seg.name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private damage(reason: string): void {
    this.opts.onDamage?.(reason);
  }

  private async closeWriter(): Promise<void> {
    const w = this.writer;
    this.writer = null;
    await w?.handle.close();
  }

  private async appendNow(records: readonly ShippedRecord[]): Promise<number> {
    const lines: Buffer[] = [];
    let size = this.bytes;
    let prev = this.last;
    for (const r of records) {
      if (r.seq <= prev)
        throw new ViworksError('VIW_E_INTERNAL', { details: [`spool: seq ${r.seq} after ${prev}`] });
      const line = Buffer.from(
        `${JSON.stringify({ seq: r.seq, hash: r.hash, prevHash: r.prevHash, event: r.event })}\n`,
      );
      const fitsEmpty = size === 0 && lines.length === 0;
      if (size + line.length > this.opts.maxBytes && !fitsEmpty) break;
      lines.push(line);
      size += line.length;
      prev = r.seq;
    }
    const first = records[0];
    if (lines.length === 0 || !first) return 0;
    const data = Buffer.concat(lines);
    const { seg, created } = await this.writableSegment(first.seq);
    const handle = (this.writer as { handle: FileHandle }).handle;
    try {
      let done = 0;
      while (done < data.length) {
        done += (await handle.write(data, done, data.length - done, seg.size + done)).bytesWritten;
      }
      await handle.datasync();
    } catch (err) {
      await this.undoAppend(seg, created);
      throw err;
    }
    seg.size += data.length;
    this.last = prev;
    if (!this.cursor) this.cursor = { segment: seg.name, offset: created ? 0 : seg.size - data.length };
    return lines.length;
  }

  /** The last segment while it has room, else a new one named by its first seq (dir fsync'd). */
  private async writableSegment(firstSeq: number): Promise<{ seg: Segment; created: boolean }> {
    const last = this.segments[this.segments.length - 1];
    if (last && last.size < this.segmentBytes) {
      if (this.writer?.name !== last.name) {
        await this.closeWriter();
        this.writer = { name: last.name, handle: await open(this.path(last.name), 'r+') };
      }
      return { seg: last, created: false };
    }
    await this.closeWriter();
    const name = `seg-${String(firstSeq).padStart(16, '0')}.ndjson`;
    const handle = await open(this.path(name), 'wx', 0o600);
    const seg: Segment = { firstSeq, name, size: 0 };
    this.writer = { name, handle };
    this.segments.push(seg);
    try {
      await fsyncDir(this.opts.dir);
    } catch (err) {
      await this.undoAppend(seg, true);
      throw err;
    }
    return { seg, created: true };
  }

  /** Best effort: a failed append leaves neither bytes nor a new empty segment behind. */
  private async undoAppend(seg: Segment, created: boolean): Promise<void> {
    if (created) {
      await this.dropSegment(this.segments.indexOf(seg)).catch(() => {});
      return;
    }
    await this.writer?.handle.truncate(seg.size).catch(() => {});
  }

  private async readNow(maxRecords: number, maxBytes: number): Promise<ShippedRecord[]> {
    this.readAhead = [];
    const out: ShippedRecord[] = [];
    let index = this.segments.findIndex((s) => s.name === this.cursor?.segment);
    let offset = this.cursor?.offset ?? 0;
    let bytes = 0;
    while (index !== -1 && index < this.segments.length && out.length < maxRecords) {
      const seg = this.segments[index] as Segment;
      if (offset >= seg.size) {
        index++;
        offset = 0;
        continue;
      }
      const chunk = await readAt(
        this.path(seg.name),
        offset,
        Math.min(seg.size - offset, maxBytes + MAX_LINE_BYTES),
      );
      let start = 0;
      let full = false;
      while (out.length < maxRecords) {
        const nl = chunk.indexOf(10, start);
        if (nl === -1) break;
        if (out.length > 0 && bytes + nl + 1 - start > maxBytes) {
          full = true;
          break;
        }
        const record = parseLine(chunk.subarray(start, nl));
        const prev = out[out.length - 1]?.seq ?? this.acked;
        if (!record || record.seq <= prev) {
          await this.cutAt(index, offset + start, 'damaged record');
          this.last = prev;
          this.forgetCutCursor();
          return out;
        }
        bytes += nl + 1 - start;
        start = nl + 1;
        out.push(record);
        this.readAhead.push({
          seq: record.seq,
          segment: seg.name,
          end: offset + start,
          timestamp: record.event.timestamp,
        });
      }
      if (full || out.length >= maxRecords) break;
      if (start === 0) {
        // No whole line in what was read: torn at the segment's end, or longer than any record.
        await this.cutAt(index, offset, 'torn or overlong record');
        this.last = out[out.length - 1]?.seq ?? this.acked;
        this.forgetCutCursor();
        return out;
      }
      offset += start;
    }
    return out;
  }

  /** After a cut at or behind the cursor, nothing unacknowledged is left where it pointed. */
  private forgetCutCursor(): void {
    if (!this.segments.some((s) => s.name === this.cursor?.segment)) this.cursor = null;
  }

  private async ackNow(seq: number): Promise<void> {
    if (seq <= this.acked) return;
    const pos = this.readAhead.find((p) => p.seq === seq);
    if (!pos)
      throw new ViworksError('VIW_E_INTERNAL', { details: [`spool: ack of ${seq}, which was not read`] });
    let persistError: unknown = null;
    try {
      await this.writeCursor(seq);
    } catch (err) {
      persistError = err;
    }
    this.cursor = { segment: pos.segment, offset: pos.end };
    this.readAhead = this.readAhead.filter((p) => p.seq > seq);
    try {
      await this.dropAckedSegments();
    } finally {
      // Published last, with no await after it: whoever sees the new ackedSeq also sees what the
      // ack's caller did once it resolved (the shipper's delivery_recovered). When the write failed
      // it is still the truth in memory; the next ack retries the write.
      this.acked = seq;
    }
    if (persistError) throw persistError;
  }

  /** Deletes segments before the cursor's, and the cursor's own once every record in it is acknowledged. */
  private async dropAckedSegments(): Promise<void> {
    const cursor = this.cursor;
    if (!cursor) return;
    let index = this.segments.findIndex((s) => s.name === cursor.segment);
    while (index > 0) {
      await this.dropSegment(0);
      index--;
    }
    const seg = this.segments[0];
    if (seg && seg.name === cursor.segment && cursor.offset >= seg.size) {
      await this.dropSegment(0);
      const next = this.segments[0];
      this.cursor = next ? { segment: next.name, offset: 0 } : null;
    }
  }

  /** temp + fsync + rename + directory fsync: the cursor is the old one or the new one, never torn. */
  private async writeCursor(seq: number): Promise<void> {
    const tmp = this.path(`.acked-${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify({ acked: seq })}\n`);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await handle.close();
    try {
      await rename(tmp, this.path(CURSOR_FILE));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fsyncDir(this.opts.dir);
  }
}

function parseLine(line: Buffer): ShippedRecord | null {
  if (line.length > MAX_LINE_BYTES) return null;
  try {
    return spooledRecord.parse(JSON.parse(line.toString('utf8')));
  } catch {
    return null;
  }
}

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
