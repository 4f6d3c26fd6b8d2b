import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalJson } from '../../../core/audit/chain.js';
import { manifestSignedBytes } from '../../../core/audit/manifest.js';
import { leafHash, verifyInclusion } from '../../../core/audit/merkle.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches } from './batches.js';
import { loadOrCreateAuditSigningKey } from './checkpoints.js';
import { proveEvent } from './prove.js';
import { AuditService } from './service.js';
import { fileAuditSigner, verifyAuditSignature } from './signer.js';

describe('audit inclusion proofs (SQLite)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let audit: AuditService;
  const signer = () => fileAuditSigner(loadOrCreateAuditSigningKey(dir));
  const seal = () =>
    sealPendingBatches({ db: database.db, signer: signer(), archive: null, now: () => new Date() });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-prove-'));
    database = await openDatabase({ dataDir: dir });
    audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
    for (let i = 0; i < 13; i++)
      await audit.record({ component: 'backend', action: 'auth.login', result: 'success', rc: i });
    await seal(); // batch 1: 13 events
    await audit.record({ component: 'backend', action: 'auth.logout', result: 'success' });
    await seal(); // batch 2: a single event
    await audit.record({ component: 'backend', action: 'auth.login', result: 'failure' }); // not sealed
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proves every sealed event: an auditor recomputes the leaf, follows the path, checks the signature', async () => {
    const publicKeyPem = signer().publicKeyPem;
    for (let seq = 1; seq <= 14; seq++) {
      const p = await proveEvent(database.db, seq);
      // Only what the proof carries and the public key: no database, no server code path.
      const leaf = leafHash(Buffer.from(canonicalJson({ seq: p.seq, event: p.event }), 'utf8'));
      assert.equal(leaf.toString('hex'), p.leaf_hash);
      assert.ok(
        verifyInclusion(
          p.leaf_index,
          p.tree_size,
          leaf,
          p.audit_path.map((h) => Buffer.from(h, 'hex')),
          Buffer.from(p.manifest.root, 'hex'),
        ),
        `event ${seq}`,
      );
      assert.equal(p.root, p.manifest.root);
      assert.equal(p.tree_size, p.manifest.count);
      assert.ok(
        verifyAuditSignature(
          p.manifest.alg,
          publicKeyPem,
          manifestSignedBytes(p.manifest),
          Buffer.from(p.manifest.sig, 'base64'),
        ),
      );
      assert.equal(p.batch, seq <= 13 ? 1 : 2);
      assert.equal(p.leaf_index, seq <= 13 ? seq - 1 : 0);
    }
    const single = await proveEvent(database.db, 14);
    assert.deepEqual(single.audit_path, [], 'the only leaf of a batch is its root');
    assert.equal(single.leaf_hash, single.root);
  });

  it('says when an event is not sealed yet, and when there is no such event', async () => {
    await assert.rejects(
      proveEvent(database.db, 15, { batchIntervalS: 60 }),
      (err: unknown) =>
        isViworksError(err, 'VIW_E_NOT_FOUND') &&
        err.details.some((d) => d.includes('not in a signed batch yet') && d.includes('within 60 s')),
    );
    await assert.rejects(
      proveEvent(database.db, 99),
      (err: unknown) =>
        isViworksError(err, 'VIW_E_NOT_FOUND') && err.details[0] === 'event 99: no such event',
    );
    await assert.rejects(proveEvent(database.db, 0), (err: unknown) =>
      isViworksError(err, 'VIW_E_VALIDATION'),
    );
  });

  it('refuses to prove from a batch whose stored events changed after sealing', async () => {
    const triggers = await database.db.$queryRawUnsafe<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'",
    );
    for (const t of triggers) await database.db.$executeRawUnsafe(`DROP TRIGGER "${t.name}"`);
    await database.db.$executeRawUnsafe(
      `UPDATE audit_events SET event = replace(event, '"rc":4', '"rc":5') WHERE seq = 5`,
    );
    await assert.rejects(
      proveEvent(database.db, 2),
      (err: unknown) =>
        isViworksError(err, 'VIW_E_CONFLICT') && err.details[0]!.startsWith('batch 1: root does not match'),
    );
    assert.equal((await proveEvent(database.db, 14)).batch, 2, 'other batches still prove');
  });
});
