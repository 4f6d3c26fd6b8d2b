// Tampering with a SIEM export (docs/audit.md#verify), in each format the shipper emits: the export is
// what a SIEM hands an auditor — one document per line, in no particular order, some delivered twice
// (at-least-once) — read back through fromSiemDocument, as `audit verify --siem` does. Each kind of
// tampering must come out as its finding; a SIEM merely lagging (within the grace) must not.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { chainHash } from '../../../core/audit/chain.js';
import type { AuditEvent } from '../../../core/audit/event.js';
import {
  fromSiemDocument,
  type ShippedRecord,
  SIEM_FORMATS,
  type SiemFormat,
  toSiemDocument,
} from '../../../core/siem/format.js';
import { databaseRecords } from './copies.js';
import {
  assertFinds,
  buildTrail,
  ids,
  LAG_GRACE_S,
  otherEvent,
  type Trail,
  verifyTrail,
} from './tamper-testing.js';

/** Every record of the trail's database, as the shipper took them. */
async function shippedRecords(t: Trail): Promise<ShippedRecord[]> {
  const out: ShippedRecord[] = [];
  for await (const item of databaseRecords(t.database.db)) {
    assert.ok(!('unreadable' in item));
    out.push({ seq: item.seq, event: item.event as AuditEvent, prevHash: item.prevHash!, hash: item.hash! });
  }
  return out;
}

/** What a SIEM returns: newest first, with 3 and 10 delivered twice (a retry after a lost ack). */
function exportOrder(records: readonly ShippedRecord[]): ShippedRecord[] {
  const again = records.filter((r) => r.seq === 3 || r.seq === 10);
  return [...records, ...again].reverse();
}

for (const format of SIEM_FORMATS satisfies readonly SiemFormat[]) {
  describe(`tampering with a SIEM export (${format}) is found`, () => {
    let t: Trail;
    let records: ShippedRecord[];
    let path: string;
    beforeEach(async () => {
      t = await buildTrail();
      records = await shippedRecords(t);
      path = join(t.dir, `siem-${format}.ndjson`);
    });
    afterEach(async () => {
      await t.database.close();
      rmSync(t.dir, { recursive: true, force: true });
    });

    const write = (rs: readonly ShippedRecord[]) =>
      writeFileSync(path, `${rs.map((r) => JSON.stringify(toSiemDocument(format, r))).join('\n')}\n`);
    const siem = (now?: Date) =>
      verifyTrail(t, {
        siem: { path, decoder: (doc) => fromSiemDocument(format, doc) },
        ...(now ? { now } : {}),
      });
    const report = (r: Awaited<ReturnType<typeof siem>>) => r.sources.find((s) => s.source === 'siem');
    const pastGrace = () => new Date(t.now.getTime() + (LAG_GRACE_S + 1) * 1000);

    it('accepts the untouched export, duplicates and order as a SIEM keeps them', async () => {
      write(exportOrder(records));
      const r = await siem(pastGrace());
      assert.equal(r.ok, true, JSON.stringify(r.sources, null, 1));
      const s = report(r)!;
      assert.deepEqual([s.events, s.last_seq, s.batches.verified, s.checkpoints], [27, 27, 3, 1]);
      assert.ok(
        s.notes.includes('2 identical duplicate records ignored (delivered twice)'),
        s.notes.join('; '),
      );
    });

    it('a deleted document (every copy of it)', async () => {
      write(exportOrder(records).filter((r) => r.seq !== 10));
      const r = await siem();
      assertFinds(r, 'siem', 'event_missing::10');
      assert.deepEqual(ids(report(r)), ['event_missing::10'], 'the gap, and nothing it merely caused');
    });

    it('a forged document inserted inside a sealed batch, chained onto the event before it', async () => {
      const prev = records[3]!.hash;
      const forged = otherEvent();
      const forgedRecord = { seq: 5, event: forged, prevHash: prev, hash: chainHash(prev, forged) };
      // Appended last, so the forgery is read after the genuine record and must still lose to it.
      write([...exportOrder(records), forgedRecord]);
      const r = await siem();
      assertFinds(r, 'siem', 'event_inserted::5');
      assert.deepEqual(ids(report(r)), ['event_inserted::5']);
      assert.equal(report(r)!.batches.verified, 3, 'batch 1 still verifies with the genuine event 5');
    });

    it('a forged document replacing a sealed one: its batch no longer matches its manifest', async () => {
      const prev = records[3]!.hash;
      const forged = otherEvent();
      write(
        exportOrder(records).map((r) =>
          r.seq === 5 ? { seq: 5, event: forged, prevHash: prev, hash: chainHash(prev, forged) } : r,
        ),
      );
      const r = await siem();
      assertFinds(r, 'siem', 'batch_mismatch:1:');
      assertFinds(r, 'siem', 'chain_broken::6');
    });

    it('a conflicting duplicate seq: a second, different document claims event 12', async () => {
      const genuine = records[11]!;
      const conflicting = { ...genuine, event: { ...genuine.event, result: 'failure' as const } };
      // First in the file: which copy is read first must not decide which one is believed.
      write([conflicting, ...exportOrder(records)]);
      const r = await siem();
      assertFinds(r, 'siem', 'event_inserted::12');
      assert.deepEqual(ids(report(r)), ['event_inserted::12']);
    });

    it('a truncated export: tolerated within the lag grace, a finding past it', async () => {
      write(exportOrder(records).filter((r) => r.seq <= 20));
      const lagging = await siem();
      assert.equal(lagging.ok, true, 'a SIEM this far behind may still be catching up');
      assert.equal(report(lagging)!.last_seq, 20);
      const late = await siem(pastGrace());
      assertFinds(late, 'siem', 'truncated::20');
      const finding = report(late)!.findings.find((f) => f.kind === 'truncated')!;
      assert.equal(finding.last, 27);
      assert.match(finding.message, /a signed checkpoint shows events up to 27/);
      assert.equal(late.sources[0]!.ok, true, 'the database itself is intact');
    });
  });
}
