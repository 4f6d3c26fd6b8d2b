// The TLS proxy's two directions (tls-proxy-pump.ts owns the connection: dial, pin, timeouts,
// teardown). What costs CPU per GB in a Node proxy is not the crypto but what each chunk drags along
// (profiled in bench/tls-proxy.bench.ts): every chunk read is a fresh ArrayBuffer, and that external
// memory makes V8 run a full mark-compact every ~30 MB carried, in a heap as large as the daemon's.
// The gateway's side is the busy one (Node hands over each ≤ 16 KiB TLS record on its own), so its
// records are decrypted into one reused buffer (tls.connect's `onread`) and written from there:
//   - the buffer is reused only when the local write completed at once (the kernel took every byte);
//     a write left pending still points into it, so the next record gets a new buffer and the
//     pending one stays intact until written (byte order and content are the socket's own);
//   - backpressure as pipe() has it: a full writer stops its reader (for the onread side: the
//     callback returns false, Node stops reading the TCP socket) until 'drain'; at most what the
//     reader had in hand when it stopped is queued beyond the writer's highWaterMark.
// The local side (OpenVPN's socket, accepted by a net.Server, which has no `onread`) is read as
// plain 'data' chunks: those are up to 64 KiB each, four times fewer than the records.
// No cork/uncork: a read already takes everything the kernel holds (up to 64 KiB), so there is
// nothing left within a tick to gather, and NODELAY writes at once, as stunnel does.
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** TLS 1.3 record plaintext is at most 16 KiB (RFC 8446 §5.1); Node reads one record per callback. */
export const RECORD_BUFFER_BYTES = 16 * 1024;

/**
 * Write queue size at which the other side's reader is paused (both sockets). A TLS write is still
 * queued when write() returns (Node completes it a tick later), so with Node's 16 KiB default nearly
 * every 64 KiB local read paused and resumed the local reader (an epoll change and a tick each way):
 * ~15 000 pauses per GB of bulk upload, ~950 with 1 MiB (bench/tls-proxy; its CPU effect was within
 * the noise of a shared machine). Memory stays bounded: at most this, plus what the reader had in
 * hand, per direction, and only while that direction's writer is the slower side.
 */
export const CARRY_HIGH_WATER_MARK = 1024 * 1024;

/** Called with every chunk's length as it passes, before it is written on. */
export type CountChunk = (bytes: number) => void;

/** `onread` for tls.connect: where the gateway's records land, and what happens to them. */
export interface RecordReader {
  readonly onread: { buffer: () => Uint8Array; callback: (bytes: number, buf: Uint8Array) => boolean };
  /**
   * Starts delivering to `sink`. A record before that (none can come: Node emits 'secureConnect',
   * where the pump calls this, before any application data) or after the sink is destroyed is
   * dropped, and the reader stops.
   */
  deliverTo(source: TLSSocket, sink: Socket, count: CountChunk): void;
  /** Buffers allocated so far (the first included): stays 1 while the sink keeps up. */
  readonly buffersAllocated: number;
}

export function recordReader(bufferBytes = RECORD_BUFFER_BYTES): RecordReader {
  let buf = Buffer.allocUnsafe(bufferBytes);
  let allocated = 1;
  let sink: Socket | undefined;
  let countChunk: CountChunk = () => {};
  return {
    onread: {
      buffer: () => buf,
      callback: (bytes, into) => {
        if (!sink || sink.destroyed) return false;
        countChunk(bytes);
        const more = sink.write(Buffer.from(into.buffer, into.byteOffset, bytes));
        // Still queued (partly or behind an earlier write): the queue holds a view of this buffer.
        if (sink.writableLength > 0) {
          buf = Buffer.allocUnsafe(bufferBytes);
          allocated++;
        }
        return more;
      },
    },
    deliverTo(source, to, count) {
      sink = to;
      countChunk = count;
      to.on('drain', () => source.resume());
    },
    get buffersAllocated() {
      return allocated;
    },
  };
}

/** The local side: 'data' chunks written on, the reader paused while the writer is full. */
export function carryChunks(source: Socket, sink: Socket, count: CountChunk): void {
  source.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!sink.write(chunk)) source.pause();
  });
  sink.on('drain', () => source.resume());
  // Explicitly: a socket accepted with pauseOnConnect does not start flowing for a 'data' listener.
  source.resume();
}

/**
 * One direction's life as pipeline() gives it: the source's end is forwarded as the sink's end
 * (a half-close), and `done` runs once the source ended and the sink finished writing, or with the
 * first error (a premature close included) of either.
 */
export function whenCarried(
  source: Socket,
  sink: Socket,
  done: (err: NodeJS.ErrnoException | null) => void,
): void {
  let waiting = 2;
  let failed = false;
  const step = (err?: NodeJS.ErrnoException | null) => {
    if (failed) return;
    if (err) {
      failed = true;
      done(err);
    } else if (--waiting === 0) done(null);
  };
  source.once('end', () => sink.end());
  finished(source, { readable: true, writable: false }, step);
  finished(sink, { readable: false, writable: true }, step);
}
