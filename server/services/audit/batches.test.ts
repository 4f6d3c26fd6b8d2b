import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  eventLeafHash,
  FIRST_PREV_MANIFEST,
  manifestDigest,
  manifestSignedBytes,
  parseManifestText,
} from '../../../core/audit/manifest.js';
import { merkleRoot } from '../../../core/audit/merkle.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { postgresPeers, startPostgres, type TestPostgres } from '../../../scripts/testkit/postgres.js';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches, startBatchSealer } from './batches.js';
import { loadOrCreateAuditSigningKey, trustedKeyFromPem, writeCheckpoint } from './checkpoints.js';
import { verifyAuditTrail } from './copies.js';
import { AuditService } from './service.js';
import { type AuditSigner, fileAuditSigner, keyIdOf, verifyAuditSignature } from './signer.js';
import { directoryArchive } from './testing.js';

type Opened = Awaited<ReturnType<typeof openDatabase>>;

/** A plain directory with the AuditArchive contract (write once; same bytes again is a no-op). */
/** An ECDSA P-256 signer in process, standing in for the PKCS#11 one (same algorithm and encoding). */
function ecdsaSigner(): AuditSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    keyId: keyIdOf(publicKey),
    algorithm: 'ecdsa-p256-sha256',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    storage: 'pkcs11',
    sign: async (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
  };
}

/** What an attacker with database access does first: drop the append-only triggers. */
async function dropTriggers(database: Opened) {
  const triggers = await database.db.$queryRawUnsafe<{ name: string }[]>(
    "SELECT name FROM sqlite_master WHERE type = 'trigger'",
  );
  for (const t of triggers) await database.db.$executeRawUnsafe(`DROP TRIGGER "${t.name}"`);
}

describe('audit batch sealer (SQLite)', () => {
  let dir: string;
  let database: Opened;
  let audit: AuditService;
  let signer: AuditSigner;
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-batches-'));
    database = await openDatabase({ dataDir: dir });
    signer = fileAuditSigner(loadOrCreateAuditSigningKey(dir));
    clock = Date.parse('2026-03-01T10:00:00.000Z');
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32), {
      dataDir: dir,
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    });
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = async (n: number) => {
    for (let i = 0; i < n; i++)
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success', rc: i % 200 });
  };

  it('seals nothing when nothing was recorded, then every pending event into one signed batch', async () => {
    const archiveDir = join(dir, 'worm');
    const deps = { db: database.db, signer, archive: directoryArchive(archiveDir), now };
    assert.deepEqual(await sealPendingBatches(deps), {
      sealed: [],
      archived: [],
      archiveFailed: null,
      archivePending: 0,
      conflicts: 0,
    });
    await record(10);
    const r = await sealPendingBatches(deps);
    assert.equal(r.sealed.length, 1);
    assert.deepEqual(r.archived, [1]);

    const row = await database.db.auditBatch.findUniqueOrThrow({ where: { batch: 1 } });
    const m = parseManifestText(row.manifest);
    const events = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    // Everything in the manifest is recomputed here from the stored events, not taken from the sealer.
    const leaves = events.map((e) => eventLeafHash(Number(e.seq), JSON.parse(e.event)));
    assert.deepEqual(
      { ...m, sig: '' },
      {
        v: 1,
        batch: 1,
        first_seq: 1,
        last_seq: 10,
        count: 10,
        from: JSON.parse(events[0]!.event).timestamp,
        to: JSON.parse(events[9]!.event).timestamp,
        root: merkleRoot(leaves).toString('hex'),
        chain_head: events[9]!.hash,
        prev_manifest: FIRST_PREV_MANIFEST,
        sealed_at: now().toISOString(),
        key_id: createHash('sha256')
          .update(loadOrCreateAuditSigningKey(dir).publicKey.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
        alg: 'ed25519',
        sig: '',
      },
    );
    assert.ok(
      verifyAuditSignature(
        'ed25519',
        signer.publicKeyPem,
        manifestSignedBytes(m),
        Buffer.from(m.sig, 'base64'),
      ),
    );
    assert.equal(row.manifest, JSON.stringify(JSON.parse(row.manifest)), 'stored as compact JSON');
    assert.ok(row.archivedAt);

    // The WORM copy: the batch file holds the same records as audit.ndjson, and the manifest.
    const ndjson = readFileSync(join(dir, 'audit', 'audit.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const batchLines = readFileSync(join(archiveDir, 'batches', '000000000001.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(batchLines, ndjson);
    assert.equal(
      readFileSync(join(archiveDir, 'manifests', '000000000001.json'), 'utf8'),
      `${row.manifest}\n`,
    );

    assert.equal((await sealPendingBatches(deps)).sealed.length, 0, 'the head has not moved: no batch');
    await record(3);
    const r2 = await sealPendingBatches(deps);
    assert.deepEqual(
      r2.sealed.map((b) => [b.batch, b.first_seq, b.last_seq]),
      [[2, 11, 13]],
    );
    const m2 = parseManifestText(
      (await database.db.auditBatch.findUniqueOrThrow({ where: { batch: 2 } })).manifest,
    );
    assert.equal(m2.prev_manifest, manifestDigest(m));
  });

  it('retries a batch the WORM copy refused, in order, and never skips it', async () => {
    let failing = true;
    const archiveDir = join(dir, 'worm');
    const deps = {
      db: database.db,
      signer,
      archive: directoryArchive(archiveDir, { failing: () => failing }),
      now,
    };
    await record(4);
    const r1 = await sealPendingBatches(deps);
    assert.equal(r1.sealed.length, 1, 'sealed in the database even though the copy failed');
    assert.deepEqual(r1.archiveFailed, { batch: 1, error: 'ENOSPC' });
    assert.equal(r1.archivePending, 1);
    await record(2);
    const r2 = await sealPendingBatches(deps);
    assert.deepEqual(
      r2.archiveFailed,
      { batch: 1, error: 'ENOSPC' },
      'the oldest pending batch blocks the rest',
    );
    assert.equal(r2.archivePending, 2);
    assert.equal(
      existsSync(join(archiveDir, 'batches', '000000000002.ndjson')),
      false,
      'no hole in the copy',
    );
    failing = false;
    const r3 = await sealPendingBatches(deps);
    assert.deepEqual(r3.archived, [1, 2]);
    assert.equal(r3.archivePending, 0);
    const rows = await database.db.auditBatch.findMany({ orderBy: { batch: 'asc' } });
    assert.ok(rows.every((r) => r.archivedAt));
    // Writing the same batch again is a no-op; the copy verifies.
    const report = await verifyAuditTrail({
      db: database.db,
      databaseLocation: 'test',
      dataDir: dir,
      keys: [trustedKeyFromPem(signer.publicKeyPem)],
      worm: { dir: archiveDir, retentionDays: null },
      lagGraceS: 600,
    });
    assert.equal(report.ok, true, JSON.stringify(report));
  });

  it('splits a backlog into batches of at most maxBatchEvents, contiguous and chained', async () => {
    await record(7);
    const r = await sealPendingBatches({ db: database.db, signer, archive: null, now, maxBatchEvents: 3 });
    assert.deepEqual(
      r.sealed.map((b) => [b.batch, b.first_seq, b.last_seq, b.count]),
      [
        [1, 1, 3, 3],
        [2, 4, 6, 3],
        [3, 7, 7, 1],
      ],
    );
  });

  it('signs with ECDSA P-256 (the token algorithm) as well; manifests and checkpoints verify', async () => {
    const ec = ecdsaSigner();
    await record(5);
    await sealPendingBatches({ db: database.db, signer: ec, archive: null, now });
    const cp = await writeCheckpoint(database.db, ec, dir, now());
    assert.equal(cp?.alg, 'ecdsa-p256-sha256');
    assert.equal(cp?.key_id, ec.keyId);
    const m = parseManifestText(
      (await database.db.auditBatch.findUniqueOrThrow({ where: { batch: 1 } })).manifest,
    );
    assert.equal(m.alg, 'ecdsa-p256-sha256');
    assert.equal(Buffer.from(m.sig, 'base64').length, 64, 'IEEE P1363 r‖s');
    const report = await verifyAuditTrail({
      db: database.db,
      databaseLocation: 'test',
      dataDir: dir,
      keys: [trustedKeyFromPem(ec.publicKeyPem)],
      lagGraceS: 600,
    });
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.sources[0]!.checkpoints, 1);
    const wrongKey = await verifyAuditTrail({
      db: database.db,
      databaseLocation: 'test',
      dataDir: dir,
      keys: [trustedKeyFromPem(signer.publicKeyPem)],
      lagGraceS: 600,
    });
    assert.deepEqual(
      wrongKey.sources[0]!.findings.map((f) => f.kind),
      ['manifest_unknown_key', 'checkpoint_unknown_key'],
    );
  });

  it('refuses to seal events that do not continue the chain, and seals nothing', async () => {
    await record(3);
    await sealPendingBatches({ db: database.db, signer, archive: null, now });
    await record(3);
    await dropTriggers(database);
    await database.db.$executeRawUnsafe(
      `UPDATE audit_events SET event = replace(event, '"result":"success"', '"result":"failure"') WHERE seq = 5`,
    );
    await assert.rejects(
      sealPendingBatches({ db: database.db, signer, archive: null, now }),
      (err: unknown) =>
        isViworksError(err, 'VIW_E_CONFLICT') && err.details.some((d) => d.startsWith('event 5:')),
    );
    assert.equal(await database.db.auditBatch.count(), 1);
  });

  it('keeps sealed batches sealed: the database refuses edits and deletes; archivedAt is set once', async () => {
    await record(2);
    await sealPendingBatches({ db: database.db, signer, archive: null, now });
    await assert.rejects(database.db.auditBatch.updateMany({ data: { root: '0'.repeat(64) } }));
    await assert.rejects(database.db.auditBatch.deleteMany({}));
    await database.db.auditBatch.update({ where: { batch: 1 }, data: { archivedAt: now() } });
    await assert.rejects(
      database.db.auditBatch.update({ where: { batch: 1 }, data: { archivedAt: new Date(0) } }),
    );
  });

  it('seals on an interval and once more on stop, so a clean shutdown leaves nothing pending', async () => {
    const logged: string[] = [];
    const log = {
      info: (_: object, msg: string) => logged.push(msg),
      warn: (_: object, msg: string) => logged.push(msg),
      error: (_: object, msg: string) => logged.push(msg),
    };
    const sealer = startBatchSealer({ db: database.db, signer, archive: null, now }, 0.05, log);
    await record(3);
    await new Promise((r) => setTimeout(r, 200));
    await record(2);
    await sealer.stop();
    const batches = await database.db.auditBatch.findMany({ orderBy: { batch: 'asc' } });
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    assert.equal(Number(batches[batches.length - 1]!.lastSeq), 5);
    assert.ok(logged.includes('audit batch sealed'));
    assert.ok(!logged.includes('audit batch sealing failed'));
  });

  it('two sealers on one database never overlap: the batch number turns a race into a retry', async () => {
    const second = await openDatabase({ dataDir: dir });
    try {
      let conflicts = 0;
      for (let round = 0; round < 8; round++) {
        await record(3);
        const results = await Promise.all([
          sealPendingBatches({ db: database.db, signer, archive: null, now }),
          sealPendingBatches({ db: second.db, signer, archive: null, now }),
        ]);
        conflicts += results.reduce((n, r) => n + r.conflicts, 0);
      }
      await assertContiguous(database);
      assert.ok(conflicts > 0, 'the two sealers did race');
    } finally {
      await second.close();
    }
  });
});

async function assertContiguous(database: Opened) {
  const rows = await database.db.auditBatch.findMany({ orderBy: { batch: 'asc' } });
  const head = await database.db.auditEvent.count();
  let next = 1;
  rows.forEach((r, i) => {
    assert.equal(r.batch, i + 1);
    assert.equal(Number(r.firstSeq), next, `batch ${r.batch} starts right after the one before`);
    next = Number(r.lastSeq) + 1;
  });
  assert.equal(next - 1, head, 'every event is sealed exactly once');
}

describe('audit batch sealer (PostgreSQL, two instances)', { skip: postgresPeers().skip }, () => {
  let pg: TestPostgres;
  let dir: string;
  beforeEach(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'viw-batches-pg-'));
  });
  afterEach(async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals concurrently from two connections with no overlap and no gap, and the trail verifies', async () => {
    const a = await openDatabase({ url: pg.url, dataDir: dir });
    const b = await openDatabase({ url: pg.url, dataDir: dir });
    try {
      const signer = fileAuditSigner(loadOrCreateAuditSigningKey(dir));
      const audit = new AuditService(a.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
      const now = () => new Date();
      let conflicts = 0;
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 4; i++)
          await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
        const results = await Promise.all([
          sealPendingBatches({ db: a.db, signer, archive: null, now }),
          sealPendingBatches({ db: b.db, signer, archive: null, now }),
        ]);
        conflicts += results.reduce((n, r) => n + r.conflicts, 0);
      }
      await assertContiguous(a);
      assert.ok(conflicts > 0, 'the two sealers did race (else this test proves nothing)');
      const report = await verifyAuditTrail({
        db: a.db,
        databaseLocation: 'pg',
        dataDir: dir,
        keys: [trustedKeyFromPem(signer.publicKeyPem)],
        lagGraceS: 600,
      });
      assert.equal(report.ok, true, JSON.stringify(report));
      // The PostgreSQL triggers: sealed columns never change, archived_at is set once, no deletes.
      await assert.rejects(a.db.auditBatch.updateMany({ data: { root: '0'.repeat(64) } }));
      await assert.rejects(a.db.auditBatch.deleteMany({}));
      await assert.rejects(a.db.$executeRawUnsafe('TRUNCATE audit_batches'));
      await a.db.auditBatch.update({ where: { batch: 1 }, data: { archivedAt: new Date() } });
      await assert.rejects(
        a.db.auditBatch.update({ where: { batch: 1 }, data: { archivedAt: new Date(0) } }),
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});
