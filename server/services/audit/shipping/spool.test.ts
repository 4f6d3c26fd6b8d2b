import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GENESIS_HASH } from '../../../../core/audit/chain.js';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { Spool } from './spool.js';
import { chainedRecords as chained } from './testing.js';
import type { ShippedRecord } from './transport.js';

const segmentsIn = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.startsWith('seg-'))
    .sort();
const seqs = (records: readonly ShippedRecord[]) => records.map((r) => r.seq);

describe('Spool (disk, NDJSON segments, fsync per append)', () => {
  let dir: string;
  let damage: string[];
  const open = (maxBytes = 1024 * 1024, segmentBytes?: number) =>
    Spool.open({
      dir,
      maxBytes,
      ...(segmentBytes ? { segmentBytes } : {}),
      onDamage: (why) => damage.push(why),
    });

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'viw-spool-')), 'syslog');
    damage = [];
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('reads back what it took, in order, byte-identical events; private modes', async () => {
    const spool = await open();
    const records = chained(5);
    assert.equal(await spool.append(records), 5);
    assert.deepEqual(await spool.readBatch(100, 1 << 20), records);
    assert.equal(spool.lastSeq, 5);
    assert.equal(spool.ackedSeq, 0);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const name of segmentsIn(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600);
    await spool.close();
  });

  it('limits a batch by records and by bytes, and always returns at least one record', async () => {
    const spool = await open();
    await spool.append(chained(10));
    assert.deepEqual(seqs(await spool.readBatch(3, 1 << 20)), [1, 2, 3]);
    assert.deepEqual(seqs(await spool.readBatch(100, 1)), [1]);
    const one = readFileSync(join(dir, segmentsIn(dir)[0] as string)).indexOf(10) + 1;
    assert.deepEqual(seqs(await spool.readBatch(100, one * 2)), [1, 2]);
    await spool.close();
  });

  it('acknowledges: the cursor is persisted atomically, wholly acknowledged segments are deleted', async () => {
    const spool = await open(1024 * 1024, 2048);
    await spool.append(chained(4));
    await spool.append(chained(4, { seq: 4, hash: 'a'.repeat(64) }));
    const before = segmentsIn(dir);
    assert.equal(before.length, 2, 'the second append rotated to a new segment');
    const batch = await spool.readBatch(4, 1 << 20);
    await spool.ack(4);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'acked'), 'utf8')), { acked: 4 });
    assert.equal(statSync(join(dir, 'acked')).mode & 0o777, 0o600);
    assert.deepEqual(segmentsIn(dir), [before[1]], 'the first segment held only acknowledged records');
    assert.deepEqual(seqs(batch), [1, 2, 3, 4]);
    assert.deepEqual(seqs(await spool.readBatch(100, 1 << 20)), [5, 6, 7, 8]);
    await spool.ack(8);
    assert.deepEqual(segmentsIn(dir), [], 'everything acknowledged: nothing left on disk');
    assert.equal(spool.bytes, 0);
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');
    await spool.close();
  });

  it('moves ackedSeq only when ack() settles: never while the cursor file is being written', async () => {
    const spool = await open();
    await spool.append(chained(5));
    await spool.readBatch(5, 1 << 20);
    let settled = false;
    const seen: number[] = [];
    const ack = spool.ack(5).then(() => {
      settled = true;
    });
    // Every turn of the event loop while the ack is pending: what a poller (stats()) would see.
    while (!settled) {
      seen.push(spool.ackedSeq);
      await new Promise((r) => setImmediate(r));
    }
    await ack;
    assert.ok(seen.length > 1, 'the cursor write spanned several turns of the event loop');
    assert.deepEqual([...new Set(seen)], [0], 'ackedSeq moved before the ack was durable');
    assert.equal(spool.ackedSeq, 5);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'acked'), 'utf8')), { acked: 5 });
    await spool.close();
  });

  it('when the cursor cannot be written, ack() rejects, ackedSeq moves in memory, the next ack persists', async () => {
    const spool = await open();
    await spool.append(chained(6));
    await spool.readBatch(3, 1 << 20);
    mkdirSync(join(dir, 'acked')); // rename() of the new cursor over a directory fails (EISDIR), even for root
    await assert.rejects(spool.ack(3), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
    assert.equal(spool.ackedSeq, 3, 'the receiver has them: not sent again by this process');
    assert.deepEqual(seqs(await spool.readBatch(100, 1 << 20)), [4, 5, 6]);
    rmSync(join(dir, 'acked'), { recursive: true });
    await spool.ack(6);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'acked'), 'utf8')), { acked: 6 });
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');
    await spool.close();
  });

  it('resumes after a restart from the acknowledged cursor (unacknowledged records come again)', async () => {
    const first = await open();
    await first.append(chained(6));
    await first.readBatch(2, 1 << 20);
    await first.ack(2);
    await first.close();
    const again = await open();
    assert.equal(again.ackedSeq, 2);
    assert.equal(again.lastSeq, 6);
    assert.deepEqual(seqs(await again.readBatch(100, 1 << 20)), [3, 4, 5, 6]);
    assert.deepEqual(damage, []);
    await again.close();
  });

  it('is bounded: when full it takes no more (the caller keeps them), and lets one record into an empty spool', async () => {
    const records = chained(50);
    const lineBytes = Buffer.byteLength(`${JSON.stringify({ ...records[0] })}\n`);
    const spool = await open(lineBytes * 10 + 10);
    const taken = await spool.append(records);
    assert.ok(taken >= 9 && taken <= 10, `took ${taken}`);
    assert.ok(spool.bytes <= spool.maxBytes);
    assert.equal(await spool.append(records.slice(taken)), 0);
    assert.equal(spool.lastSeq, taken);
    const tiny = await Spool.open({ dir: join(dir, '..', 'tiny'), maxBytes: 4096 });
    const big = chained(1, { seq: 0, hash: GENESIS_HASH }).map((r) => ({
      ...r,
      event: { ...r.event, error_msg: 'x'.repeat(256) },
    }));
    assert.equal(await tiny.append(big), 1);
    await spool.close();
    await tiny.close();
  });

  it('cuts a torn last line (kill -9 mid-append) away, reports it, and resumes after the last whole record', async () => {
    const spool = await open();
    await spool.append(chained(3));
    await spool.close();
    const seg = join(dir, segmentsIn(dir)[0] as string);
    const whole = statSync(seg).size;
    appendFileSync(seg, '{"seq":4,"hash":"ab'); // what a crash between write and fsync can leave
    const again = await open();
    assert.equal(again.lastSeq, 3);
    assert.equal(statSync(seg).size, whole);
    assert.equal(damage.length, 1);
    assert.match(damage[0] as string, /torn or damaged/);
    const next = chained(2, { seq: 3, hash: 'b'.repeat(64) });
    assert.equal(await again.append(next), 2);
    assert.deepEqual(seqs(await again.readBatch(100, 1 << 20)), [1, 2, 3, 4, 5]);
    await again.close();
  });

  it('cuts from a damaged record on, deleting later segments; the database refills from lastSeq', async () => {
    const spool = await open(1024 * 1024, 1024);
    for (let i = 0; i < 4; i++) await spool.append(chained(2).map((r, j) => ({ ...r, seq: i * 2 + j + 1 })));
    assert.equal(segmentsIn(dir).length, 4);
    await spool.close();
    const second = join(dir, segmentsIn(dir)[1] as string);
    const text = readFileSync(second, 'utf8');
    writeFileSync(second, text.replace('"seq":4', '"seq":"4"')); // the second record of segment 2
    const again = await open();
    // Only the last segment is scanned at open; the damage is found when the sender reaches it.
    assert.deepEqual(seqs(await again.readBatch(100, 1 << 20)), [1, 2, 3]);
    assert.equal(again.lastSeq, 3);
    assert.equal(segmentsIn(dir).length, 2);
    assert.match(damage.join(' '), /damaged record/);
    await again.close();
  });

  it('discards a spool that does not continue the cursor (records would be missing) and says so', async () => {
    const spool = await open();
    await spool.append(chained(8));
    await spool.close();
    writeFileSync(join(dir, 'acked'), '{"acked":0}\n');
    const seg = segmentsIn(dir)[0] as string;
    // As if the first records' segment were lost: the spool now starts at 3.
    const lines = readFileSync(join(dir, seg), 'utf8').split('\n').slice(2).join('\n');
    rmSync(join(dir, seg));
    writeFileSync(join(dir, 'seg-0000000000000003.ndjson'), lines);
    const again = await open();
    assert.equal(again.lastSeq, 0);
    assert.deepEqual(segmentsIn(dir), []);
    assert.match(damage.join(' '), /spool starts at 3/);
    await again.close();
  });

  it('treats an unreadable cursor as "nothing acknowledged" (send again), never as "all acknowledged"', async () => {
    const spool = await open();
    await spool.append(chained(3));
    await spool.readBatch(3, 1 << 20);
    await spool.ack(3);
    await spool.append(chained(2, { seq: 3, hash: 'b'.repeat(64) }));
    await spool.close();
    writeFileSync(join(dir, 'acked'), 'garbage');
    const again = await open();
    assert.equal(again.ackedSeq, 0);
    assert.match(damage.join(' '), /cursor unreadable/);
    // The spool (4, 5) no longer continues from 0: discarded, to be refilled from the database.
    assert.equal(again.lastSeq, 0);
    await again.close();
  });

  it('refuses records that do not follow lastSeq (a source bug must not reorder the stream)', async () => {
    const spool = await open();
    await spool.append(chained(3));
    await assert.rejects(spool.append(chained(1)), (err: unknown) => isViworksError(err, 'VIW_E_INTERNAL'));
    await spool.close();
  });
});
