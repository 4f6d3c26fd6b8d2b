// Every way of tampering with the audit trail that docs/audit.md#verify promises to find, done the way
// an intruder would — on the database (SQLite, after dropping the append-only triggers), on an NDJSON
// copy and on a WORM-layout copy — and the finding `audit verify` must report for it. The SIEM copy's
// tampering is in tamper-siem.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../../core/audit/chain.js';
import { type AuditEvent, parseAuditEvent } from '../../../core/audit/event.js';
import { manifestSignedBytes, manifestText, parseManifestText } from '../../../core/audit/manifest.js';
import { sealPendingBatches } from './batches.js';
import { loadOrCreateAuditSigningKey } from './checkpoints.js';
import { readWormCopy, verifyAuditTrail } from './copies.js';
import { type AuditSigner, fileAuditSigner } from './signer.js';
import {
  assertFinds,
  buildTrail,
  ids,
  type Opened,
  otherEvent,
  type Trail,
  verifyTrail as verify,
} from './tamper-testing.js';
import { directoryArchive } from './testing.js';
import { verifyCopy } from './verify.js';

async function dropTriggers(database: Opened) {
  const triggers = await database.db.$queryRawUnsafe<{ name: string }[]>(
    "SELECT name FROM sqlite_master WHERE type = 'trigger'",
  );
  for (const t of triggers) await database.db.$executeRawUnsafe(`DROP TRIGGER "${t.name}"`);
}

/** A manifest the real key signed, with fields changed: what a brief misuse of the signer yields. */
async function resigned(signer: AuditSigner, text: string, change: Record<string, unknown>): Promise<string> {
  const { sig: _sig, ...unsigned } = { ...parseManifestText(text), ...change };
  const sig = (await signer.sign(manifestSignedBytes(unsigned))).toString('base64');
  return manifestText({ ...unsigned, sig } as ReturnType<typeof parseManifestText>);
}

describe('tampering with the database is found', () => {
  let t: Trail;
  beforeEach(async () => {
    t = await buildTrail();
  });
  afterEach(async () => {
    await t.database.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  const sql = async (...statements: string[]) => {
    await dropTriggers(t.database);
    for (const s of statements) await t.database.db.$executeRawUnsafe(s);
  };

  it('accepts the untouched trail, with its copies', async () => {
    const r = await verify(t, { ndjson: true, worm: true });
    assert.equal(r.ok, true, JSON.stringify(r, null, 1));
    assert.deepEqual(
      r.sources.map((s) => [s.source, s.events, s.batches.verified, s.checkpoints]),
      [
        ['database', 27, 3, 1],
        ['ndjson', 27, 3, 1],
        ['worm', 24, 3, 1],
      ],
    );
    assert.ok(r.sources[0]!.notes.some((n) => n.startsWith('3 events after batch 3 are not sealed yet')));
  });

  it('an edited event', async () => {
    await sql(`UPDATE audit_events SET event = replace(event, '"rc":5,', '"rc":55,') WHERE seq = 5`);
    assertFinds(await verify(t), 'database', 'event_edited::5');
  });

  it('a deleted event', async () => {
    await sql('DELETE FROM audit_events WHERE seq = 5');
    const r = await verify(t);
    assertFinds(r, 'database', 'event_missing::5');
    assert.equal(r.sources[0]!.findings.length, 1, ids(r.sources[0]).join(', '));
  });

  it('reordered events (rows relabelled)', async () => {
    await sql(
      'UPDATE audit_events SET seq = -5 WHERE seq = 5',
      'UPDATE audit_events SET seq = 5 WHERE seq = 6',
      'UPDATE audit_events SET seq = 6 WHERE seq = -5',
    );
    const r = await verify(t);
    assertFinds(r, 'database', 'event_out_of_order::5');
    assert.deepEqual(ids(r.sources[0]), ['event_out_of_order::5'], 'the swap, and nothing it merely caused');
  });

  it('reordered events (contents swapped, hashes left in place)', async () => {
    const [a, b] = await t.database.db.auditEvent.findMany({
      where: { seq: { in: [5n, 6n] } },
      orderBy: { seq: 'asc' },
    });
    await dropTriggers(t.database);
    await t.database.db.auditEvent.update({ where: { seq: 5n }, data: { event: b!.event } });
    await t.database.db.auditEvent.update({ where: { seq: 6n }, data: { event: a!.event } });
    const r = await verify(t);
    assert.deepEqual(ids(r.sources[0]), ['event_out_of_order::5', 'event_out_of_order::6']);
  });

  it('an inserted event (later events renumbered to make room)', async () => {
    await dropTriggers(t.database);
    for (let s = 27; s >= 5; s--)
      await t.database.db.$executeRawUnsafe(`UPDATE audit_events SET seq = ${s + 1} WHERE seq = ${s}`);
    const prev = (await t.database.db.auditEvent.findUniqueOrThrow({ where: { seq: 4n } })).hash;
    const forged = otherEvent();
    await t.database.db.auditEvent.create({
      data: {
        seq: 5n,
        at: new Date(forged.timestamp),
        event: canonicalJson(forged),
        prevHash: prev,
        hash: chainHash(prev, forged),
      },
    });
    assertFinds(await verify(t), 'database', 'event_inserted::5');
  });

  it('a batch that no longer matches its manifest (a consistent rewrite of the chain)', async () => {
    const rows = await t.database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    await sql('DELETE FROM audit_events');
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const e = parseAuditEvent(JSON.parse(r.event));
      const event =
        Number(r.seq) === 12 ? { ...e, result: 'failure' as const, severity: 'notice' as const } : e;
      const hash = chainHash(prev, event);
      await t.database.db.auditEvent.create({
        data: { seq: r.seq, at: r.at, event: canonicalJson(event), prevHash: prev, hash },
      });
      prev = hash;
    }
    const r = await verify(t);
    assertFinds(r, 'database', 'batch_mismatch:2:');
    assertFinds(r, 'database', 'checkpoint_mismatch::27');
  });

  it('a manifest whose signature no longer holds', async () => {
    const row = await t.database.db.auditBatch.findUniqueOrThrow({ where: { batch: 2 } });
    const edited = manifestText({ ...parseManifestText(row.manifest), count: 7, last_seq: 15 });
    await sql(`UPDATE audit_batches SET manifest = '${edited}' WHERE batch = 2`);
    assertFinds(await verify(t), 'database', 'manifest_bad_signature:2:');
  });

  it('a manifest signed by a key the verifier does not know', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'viw-other-key-'));
    const other = fileAuditSigner(loadOrCreateAuditSigningKey(otherDir));
    rmSync(otherDir, { recursive: true, force: true });
    const row = await t.database.db.auditBatch.findUniqueOrThrow({ where: { batch: 3 } });
    const forged = await resigned(other, row.manifest, { key_id: other.keyId });
    await sql(`UPDATE audit_batches SET manifest = '${forged}' WHERE batch = 3`);
    assertFinds(await verify(t), 'database', 'manifest_unknown_key:3:');
  });

  it('a broken manifest chain (a validly signed manifest that does not follow the one before)', async () => {
    const row = await t.database.db.auditBatch.findUniqueOrThrow({ where: { batch: 3 } });
    const forged = await resigned(t.signer, row.manifest, { prev_manifest: 'f'.repeat(64) });
    await sql(`UPDATE audit_batches SET manifest = '${forged}' WHERE batch = 3`);
    const r = await verify(t);
    assertFinds(r, 'database', 'manifest_chain_broken:3:');
    assert.deepEqual(ids(r.sources[0]), ['manifest_chain_broken:3:']);
  });

  it('a missing manifest', async () => {
    await sql('DELETE FROM audit_batches WHERE batch = 2');
    assertFinds(await verify(t), 'database', 'manifest_missing:2:');
  });

  it('a truncated tail (events and their batch removed), by the checkpoint and by the WORM copy', async () => {
    await sql('DELETE FROM audit_events WHERE seq > 16', 'DELETE FROM audit_batches WHERE batch = 3');
    const r = await verify(t);
    assertFinds(r, 'database', 'truncated::16');
    assert.match(
      r.sources[0]!.findings.find((f) => f.kind === 'truncated')!.message,
      /checkpoint shows events up to 27/,
    );
    writeFileSync(join(t.dir, 'audit', 'checkpoints.ndjson'), ''); // the intruder removes the checkpoints too
    const withWorm = await verify(t, { worm: true });
    assertFinds(withWorm, 'database', 'truncated::16');
    assert.ok(withWorm.cross_checks.some((f) => f.kind === 'copies_differ' && f.batch === 3));
  });
});

describe('tampering with an NDJSON copy is found', () => {
  let t: Trail;
  let lines: string[];
  beforeEach(async () => {
    t = await buildTrail();
    lines = readFileSync(t.ndjson, 'utf8').trim().split('\n');
  });
  afterEach(async () => {
    await t.database.close();
    rmSync(t.dir, { recursive: true, force: true });
  });
  const write = (ls: string[]) => writeFileSync(t.ndjson, `${ls.join('\n')}\n`);
  const ndjson = () => verify(t, { ndjson: true });

  it('an edited line', async () => {
    lines[4] = lines[4]!.replace('"rc":5,', '"rc":55,');
    write(lines);
    assertFinds(await ndjson(), 'ndjson', 'event_edited::5');
  });

  it('a deleted line', async () => {
    lines.splice(4, 1);
    write(lines);
    assertFinds(await ndjson(), 'ndjson', 'event_missing::5');
  });

  it('reordered lines', async () => {
    [lines[4], lines[5]] = [lines[5]!, lines[4]!];
    write(lines);
    const r = await ndjson();
    // Lines 1..4, 6, 5, 7…: the longest run in order keeps 5, so 6 is the one out of place.
    assert.deepEqual(ids(r.sources[1]), ['event_out_of_order::6']);
  });

  it('an inserted line', async () => {
    const prev = JSON.parse(lines[3]!).hash as string;
    const forged = otherEvent();
    lines.splice(5, 0, JSON.stringify({ seq: 5, ...forged, prev_hash: prev, hash: chainHash(prev, forged) }));
    write(lines);
    assertFinds(await ndjson(), 'ndjson', 'event_inserted::5');
  });

  it('a line that is not a record', async () => {
    lines.splice(7, 0, '{"seq": "eight"}', 'x'.repeat(70_000));
    write(lines);
    const r = await ndjson();
    assert.deepEqual(
      r.sources[1]!.findings.map((f) => f.message),
      ['line 8: not a readable audit record', 'line 9: not a readable audit record'],
    );
  });

  it('a truncated copy', async () => {
    write(lines.slice(0, 20));
    const r = await ndjson();
    assertFinds(r, 'ndjson', 'truncated::20');
  });
});

describe('tampering with a WORM copy is found', () => {
  let t: Trail;
  const batchFile = (b: number) => join(t.worm, 'batches', `${String(b).padStart(12, '0')}.ndjson`);
  const manifestFile = (b: number) => join(t.worm, 'manifests', `${String(b).padStart(12, '0')}.json`);
  const linesOf = (b: number) => readFileSync(batchFile(b), 'utf8').trim().split('\n');
  const write = (b: number, ls: string[]) =>
    writeFileSync(batchFile(b), ls.length ? `${ls.join('\n')}\n` : '');
  const worm = () => verify(t, { worm: true });
  beforeEach(async () => {
    t = await buildTrail();
  });
  afterEach(async () => {
    await t.database.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('an edited event', async () => {
    const ls = linesOf(1);
    ls[4] = ls[4]!.replace('"rc":5,', '"rc":55,');
    write(1, ls);
    assertFinds(await worm(), 'worm', 'event_edited::5');
  });

  it('a deleted event', async () => {
    const ls = linesOf(2);
    ls.splice(2, 1);
    write(2, ls);
    assertFinds(await worm(), 'worm', 'event_missing::11');
  });

  it('reordered events', async () => {
    const ls = linesOf(2);
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    write(2, ls);
    const r = await worm();
    assert.deepEqual(ids(r.sources[1]), ['event_out_of_order::12']);
  });

  it('an inserted event', async () => {
    const ls = linesOf(1);
    const prev = JSON.parse(ls[3]!).hash as string;
    const forged = otherEvent();
    ls.splice(4, 0, JSON.stringify({ seq: 5, ...forged, prev_hash: prev, hash: chainHash(prev, forged) }));
    write(1, ls);
    assertFinds(await worm(), 'worm', 'event_inserted::5');
  });

  it('a batch file whose events fall outside its manifest range', async () => {
    const one = linesOf(1);
    const two = linesOf(2);
    one.push(two.shift()!);
    write(1, one);
    write(2, two);
    assertFinds(await worm(), 'worm', 'batch_mismatch:1:');
  });

  it('a batch whose root no longer matches (the chain recomputed inside the file)', async () => {
    const ls = linesOf(2).map((l) => JSON.parse(l) as Record<string, unknown>);
    let prev = ls[0]!.prev_hash as string;
    const rewritten = ls.map(({ seq, prev_hash: _p, hash: _h, ...event }) => {
      const e = (seq === 12 ? { ...event, rc: 120 } : event) as AuditEvent;
      const hash = chainHash(prev, e);
      const line = JSON.stringify({ seq, ...e, prev_hash: prev, hash });
      prev = hash;
      return line;
    });
    write(2, rewritten);
    const r = await worm();
    assertFinds(r, 'worm', 'batch_mismatch:2:');
    assertFinds(r, 'worm', 'chain_broken::17');
  });

  it('a manifest whose signature no longer holds', async () => {
    const text = readFileSync(manifestFile(2), 'utf8');
    writeFileSync(manifestFile(2), text.replace(/"to":"[^"]+"/, '"to":"2030-01-01T00:00:00.000Z"'));
    assertFinds(await worm(), 'worm', 'manifest_bad_signature:2:');
  });

  it('a broken manifest chain', async () => {
    writeFileSync(
      manifestFile(3),
      await resigned(t.signer, readFileSync(manifestFile(3), 'utf8'), { prev_manifest: 'e'.repeat(64) }),
    );
    const r = await worm();
    assertFinds(r, 'worm', 'manifest_chain_broken:3:');
    assert.ok(r.cross_checks.some((f) => f.kind === 'copies_differ' && f.batch === 3));
  });

  it('a missing manifest', async () => {
    unlinkSync(manifestFile(2));
    const r = await worm();
    assertFinds(r, 'worm', 'manifest_missing:2:');
    assert.ok(r.cross_checks.some((f) => f.kind === 'manifest_missing' && f.batch === 2));
  });

  it('a truncated copy: the newest batch removed (the database knows it was archived)', async () => {
    unlinkSync(batchFile(3));
    unlinkSync(manifestFile(3));
    const r = await worm();
    assertFinds(r, 'worm', 'truncated::16');
  });

  it('a truncated batch file: its last lines cut', async () => {
    write(3, linesOf(3).slice(0, 5));
    assertFinds(await worm(), 'worm', 'truncated::21');
  });

  it('but a copy whose oldest batches expired by retention verifies, and says where it starts', async () => {
    unlinkSync(batchFile(1));
    unlinkSync(manifestFile(1));
    const copy = readWormCopy(t.worm);
    const r = await verifyCopy({
      source: 'worm',
      location: t.worm,
      items: copy.items,
      orderMatters: true,
      manifests: copy.manifests,
      mayStartLate: true,
      batchFiles: copy.batchFiles,
      checkpoints: [],
      manifestGraceS: 0,
      checkpointGraceS: 600,
      keys: [t.key],
      now: t.now,
    });
    assert.equal(r.ok, true, ids(r).join(', '));
    assert.ok(
      r.notes.includes('starts at batch 2 (earlier batches were removed by retention)'),
      r.notes.join('; '),
    );
    // With the database beside it, an archived batch gone before its retention ran out is a finding.
    const full = await verifyAuditTrail({
      db: t.database.db,
      databaseLocation: 'test',
      dataDir: t.dir,
      keys: [t.key],
      worm: { dir: t.worm, retentionDays: 30 },
      lagGraceS: 600,
      now: t.now,
    });
    assert.deepEqual(
      full.cross_checks.map((f) => [f.kind, f.batch]),
      [['manifest_missing', 1]],
    );
    // A month on, the pending events are long sealed (the server does it each minute).
    await sealPendingBatches({
      db: t.database.db,
      signer: t.signer,
      archive: directoryArchive(t.worm),
      now: () => t.now,
    });
    const later = await verifyAuditTrail({
      db: t.database.db,
      databaseLocation: 'test',
      dataDir: t.dir,
      keys: [t.key],
      worm: { dir: t.worm, retentionDays: 30 },
      lagGraceS: 600,
      now: new Date(t.now.getTime() + 31 * 86_400_000),
    });
    assert.equal(later.ok, true, JSON.stringify(later.cross_checks));
  });
});
