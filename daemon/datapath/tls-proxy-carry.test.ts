// The proxy's byte carrying on loopback socket pairs, fed the way Node feeds it: records written into
// the buffer `onread.buffer()` returns, then `onread.callback(n, buffer)`. Content is checked byte
// for byte, so a buffer reused while a write still points into it would show as corrupted data.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  CARRY_HIGH_WATER_MARK,
  carryChunks,
  RECORD_BUFFER_BYTES,
  recordReader,
  whenCarried,
} from './tls-proxy-carry.js';

/** A connected pair: `near` is ours to write to (or read from), `far` the peer. */
async function pair(server: Server, port: number): Promise<{ near: Socket; far: Socket }> {
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const near = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(near, 'connect');
  const [far] = await accepted;
  near.on('error', () => {});
  far.on('error', () => {});
  return { near, far };
}

/** Everything `s` receives until its end, hashed. */
function received(s: Socket): Promise<{ bytes: number; sha: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  s.on('data', (b: Buffer) => {
    bytes += b.length;
    h.update(b);
  });
  s.resume();
  return once(s, 'end').then(() => ({ bytes, sha: h.digest('hex') }));
}

/** What Node does for one decrypted record: copy it into the current buffer, then call back. */
function feed(reader: ReturnType<typeof recordReader>, record: Buffer): boolean {
  const into = reader.onread.buffer();
  record.copy(into);
  return reader.onread.callback(record.length, into);
}

const fakeSource = () => {
  let resumed = 0;
  const source = { resume: () => void resumed++ } as unknown as TLSSocket;
  return { source, resumed: () => resumed };
};

describe('tls proxy carrying', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer({
      allowHalfOpen: true,
      pauseOnConnect: true,
      highWaterMark: CARRY_HIGH_WATER_MARK,
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('records into one reused buffer while the writer keeps up; each byte arrives once, in order', async () => {
    const { near, far } = await pair(server, port);
    const reader = recordReader();
    const counted: number[] = [];
    reader.deliverTo(fakeSource().source, near, (n) => counted.push(n));
    const got = received(far);
    const h = createHash('sha256');
    const sizes = [1, 42, 1400, RECORD_BUFFER_BYTES, 7, 1400];
    for (const size of sizes) {
      const record = randomBytes(size);
      h.update(record);
      assert.equal(feed(reader, record), true, 'a writer that keeps up is not full');
    }
    near.end();
    assert.deepEqual(await got, { bytes: counted.reduce((a, b) => a + b, 0), sha: h.digest('hex') });
    assert.deepEqual(counted, sizes);
    assert.equal(reader.buffersAllocated, 1, 'no allocation per record');
    far.destroy();
  });

  it('a stalled reader: records queue in fresh buffers (none overwritten), false stops the reader at the high-water mark, drain resumes it', async () => {
    // The sink is the accepted side (the proxy's local socket, with its write queue size); its peer
    // reads nothing until told.
    const { near: peer, far: sink } = await pair(server, port);
    peer.pause();
    const reader = recordReader();
    const { source, resumed } = fakeSource();
    reader.deliverTo(source, sink, () => {});
    const h = createHash('sha256');
    let fed = 0;
    let more = true;
    // Node stops reading once the callback says false; until then the kernel and the queue fill.
    while (more) {
      const record = randomBytes(RECORD_BUFFER_BYTES);
      h.update(record);
      fed += record.length;
      more = feed(reader, record);
      assert.ok(fed < 512 * 1024 * 1024, 'the writer never said it was full');
    }
    assert.ok(sink.writableLength >= CARRY_HIGH_WATER_MARK, 'stopped before the queue was full');
    assert.ok(sink.writableLength <= CARRY_HIGH_WATER_MARK + RECORD_BUFFER_BYTES, 'queued beyond the mark');
    assert.ok(reader.buffersAllocated > 2, 'queued records must not share the reused buffer');
    assert.equal(resumed(), 0);
    const got = received(peer);
    await once(sink, 'drain');
    assert.equal(resumed(), 1, 'drain resumes the reader');
    sink.end();
    assert.deepEqual(await got, { bytes: fed, sha: h.digest('hex') });
  });

  it('drops a record that arrives before it delivers anywhere, and stops the reader', () => {
    const reader = recordReader();
    assert.equal(feed(reader, Buffer.from('early')), false);
  });

  it('many small writes queued before a read arrive as one chunk (one write on the TLS side), in order', async () => {
    const from = await pair(server, port); // from.far: the accepted, paused local socket
    const to = await pair(server, port);
    const messages = Array.from({ length: 100 }, (_, i) => Buffer.from(`packet ${i};`.padEnd(42, '.')));
    for (const m of messages) from.near.write(m);
    // Written at once to the kernel (loopback: already in the receiver's queue).
    assert.equal(from.near.writableLength, 0);
    const writes: number[] = [];
    const write = to.near.write.bind(to.near);
    to.near.write = ((chunk: Buffer) => {
      writes.push(chunk.length);
      return write(chunk);
    }) as typeof to.near.write;
    let counted = 0;
    carryChunks(from.far, to.near, (n) => (counted += n));
    const done = new Promise<Error | null>((resolve) => whenCarried(from.far, to.near, resolve));
    const got = received(to.far);
    from.near.end();
    assert.equal(await done, null);
    const all = Buffer.concat(messages);
    assert.deepEqual(await got, { bytes: all.length, sha: createHash('sha256').update(all).digest('hex') });
    assert.equal(counted, all.length);
    assert.deepEqual(writes, [all.length], 'one write for the 100 packets');
    for (const s of [from.near, from.far, to.near, to.far]) s.destroy();
  });

  it('a half-close is carried as one (the sink ends; done once both are finished); a reset is an error', async () => {
    const from = await pair(server, port);
    const to = await pair(server, port);
    carryChunks(from.far, to.near, () => {});
    const results: Array<Error | null> = [];
    const done = new Promise<void>((resolve) =>
      whenCarried(from.far, to.near, (err) => {
        results.push(err);
        resolve();
      }),
    );
    const got = received(to.far);
    from.near.end('last words');
    assert.deepEqual((await got).bytes, 'last words'.length);
    await done;
    assert.deepEqual(results, [null]);

    const reset = await pair(server, port);
    const sink = await pair(server, port);
    carryChunks(reset.far, sink.near, () => {});
    const failed = new Promise<NodeJS.ErrnoException | null>((resolve) =>
      whenCarried(reset.far, sink.near, resolve),
    );
    reset.near.resetAndDestroy();
    const err = await failed;
    assert.ok(err, 'a reset source must fail the direction');
    for (const s of [from.near, from.far, to.near, to.far, reset.far, sink.near, sink.far]) s.destroy();
  });
});
