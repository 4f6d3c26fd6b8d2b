import assert from 'node:assert/strict';
import { randomBytes, sign } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches } from './batches.js';
import {
  auditPaths,
  loadOrCreateAuditSigningKey,
  type TrustedKey,
  trustedKeyFromPem,
  writeCheckpoint,
} from './checkpoints.js';
import { databaseBatches, decodeNativeLine, fileRecords, verifyAuditTrail } from './copies.js';
import { AuditService } from './service.js';
import { fileAuditSigner } from './signer.js';
import { type CopyInput, type CopyItem, MAX_FINDINGS, outOfPlace, verifyCopy } from './verify.js';

const ids = (findings: readonly { kind: string; batch?: number; seq?: number }[]) =>
  findings.map((f) => `${f.kind}:${f.batch ?? ''}:${f.seq ?? ''}`);

describe('outOfPlace: the fewest records that break the copy order', () => {
  it('keeps one longest increasing run', () => {
    assert.deepEqual(outOfPlace([]), []);
    assert.deepEqual(outOfPlace([1, 2, 3]), []);
    assert.deepEqual(outOfPlace([1, 2, 4, 3, 5]), [2]);
    assert.deepEqual(
      outOfPlace([9, 1, 2, 3, 4]),
      [0],
      'a record moved to the front is one finding, not four',
    );
    assert.deepEqual(outOfPlace([1, 3, 4, 5, 2]), [4]);
    assert.deepEqual(outOfPlace([3, 2, 1]), [0, 1]);
  });
});

describe('audit verification (SQLite)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  let key: TrustedKey;
  let clock = Date.parse('2026-05-01T12:00:00.000Z');
  const now = () => new Date(clock);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-verify-'));
    database = await openDatabase({ dataDir: dir });
    const fileKey = loadOrCreateAuditSigningKey(dir);
    const signer = fileAuditSigner(fileKey);
    key = trustedKeyFromPem(signer.publicKeyPem);
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
      {
        dataDir: dir,
        now: () => {
          clock += 1000;
          return new Date(clock);
        },
      },
    );
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 5; i++)
        await audit.record({ component: 'backend', action: 'auth.login', result: 'success' });
      await sealPendingBatches({ db: database.db, signer, archive: null, now });
    }
    // A checkpoint from before the signer could be a token: v1, Ed25519 over the old text.
    const at = now().toISOString();
    const head = await database.db.auditEvent.findUniqueOrThrow({ where: { seq: 10n } });
    const v1 = sign(
      null,
      Buffer.from(`viworks-audit-checkpoint-v1\n10\n${head.hash}\n${at}`),
      fileKey.privateKey,
    );
    appendFileSync(
      auditPaths(dir).checkpoints,
      `${JSON.stringify({ v: 1, seq: 10, hash: head.hash, at, sig: v1.toString('base64') })}\n`,
    );
    assert.equal((await writeCheckpoint(database.db, signer, dir, now()))?.v, 2);
    assert.equal(
      await writeCheckpoint(database.db, signer, dir, now()),
      null,
      'no new checkpoint while the head has not moved',
    );
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const trail = (extra: Partial<Parameters<typeof verifyAuditTrail>[0]> = {}) =>
    verifyAuditTrail({
      db: database.db,
      databaseLocation: 'test',
      dataDir: dir,
      keys: [key],
      lagGraceS: 600,
      now: now(),
      ...extra,
    });

  it('accepts the intact trail, old and new checkpoints alike', async () => {
    const r = await trail();
    assert.equal(r.ok, true, JSON.stringify(r));
    const db = r.sources[0]!;
    assert.deepEqual(
      { events: db.events, last_seq: db.last_seq, batches: db.batches, checkpoints: db.checkpoints },
      { events: 15, last_seq: 15, batches: { verified: 3, first: 1, last: 3 }, checkpoints: 2 },
    );
  });

  it('cannot check a signature without the key: every manifest and checkpoint is reported', async () => {
    const r = await trail({ keys: [] });
    assert.deepEqual(ids(r.sources[0]!.findings), [
      'manifest_unknown_key:1:',
      'manifest_unknown_key:2:',
      'manifest_unknown_key:3:',
      'checkpoint_unknown_key::10',
      'checkpoint_unknown_key::15',
    ]);
  });

  it('reports a checkpoint line that is not one, by its line number', async () => {
    const path = auditPaths(dir).checkpoints;
    const before = readFileSync(path, 'utf8');
    try {
      appendFileSync(path, '{"v":2,"seq":"x"}\n');
      const r = await trail();
      assert.deepEqual(
        r.sources[0]!.findings.map((f) => f.message),
        ['checkpoint line 3: unreadable'],
      );
    } finally {
      writeFileSync(path, before);
    }
  });

  it('reads a SIEM export in any order, ignores identical duplicates, and finds an edit there', async () => {
    const lines = readFileSync(join(dir, 'audit', 'audit.ndjson'), 'utf8')
      .trim()
      .split('\n');
    const shuffled = [...lines.slice(7), ...lines.slice(0, 7), lines[3]!, lines[12]!];
    const siem = join(dir, 'siem.ndjson');
    writeFileSync(siem, `${shuffled.join('\n')}\n`);
    const ok = await trail({ siem: { path: siem, decoder: decodeNativeLine } });
    assert.equal(ok.ok, true, JSON.stringify(ok.sources[1]));
    assert.ok(ok.sources[1]!.notes.includes('2 identical duplicate records ignored (delivered twice)'));
    // A format without the chain: an edit is still found, per batch.
    const noChain = (doc: unknown) => ({ ...decodeNativeLine(doc), prevHash: null, hash: null });
    writeFileSync(
      siem,
      `${shuffled.map((l) => (JSON.parse(l).seq === 7 ? l.replace('"success"', '"failure"') : l)).join('\n')}\n`,
    );
    const edited = await trail({ siem: { path: siem, decoder: noChain } });
    assert.deepEqual(ids(edited.sources[1]!.findings), ['batch_mismatch:2:']);
    assert.ok(edited.sources[1]!.notes.some((n) => n.startsWith('the copy carries no chain hashes')));
  });

  it('lets a lagging copy (a SIEM) be behind a batch sealed within the grace, not one sealed before it', async () => {
    const lines = readFileSync(join(dir, 'audit', 'audit.ndjson'), 'utf8')
      .trim()
      .split('\n');
    const siem = join(dir, 'siem-behind.ndjson');
    writeFileSync(siem, `${lines.slice(0, 10).join('\n')}\n`);
    const recent = await trail({ siem: { path: siem, decoder: decodeNativeLine } });
    assert.equal(recent.ok, true, JSON.stringify(recent.sources[1]));
    const later = await trail({
      siem: { path: siem, decoder: decodeNativeLine },
      now: new Date(clock + 3_600_000),
    });
    assert.deepEqual(ids(later.sources[1]!.findings), ['truncated::10']);
  });

  it('reads CRLF line ends', async () => {
    const ndjson = join(dir, 'crlf.ndjson');
    writeFileSync(ndjson, readFileSync(join(dir, 'audit', 'audit.ndjson'), 'utf8').replaceAll('\n', '\r\n'));
    const r = await trail({ ndjson });
    assert.equal(r.ok, true, JSON.stringify(r.sources[1]));
  });

  it('verifies one copy directly from its records, manifests and checkpoints', async () => {
    const input: CopyInput = {
      source: 'ndjson',
      location: 'x',
      items: fileRecords(join(dir, 'audit', 'audit.ndjson')),
      orderMatters: true,
      manifests: await databaseBatches(database.db),
      mayStartLate: false,
      checkpoints: [],
      manifestGraceS: 0,
      checkpointGraceS: 0,
      keys: [key],
      now: now(),
    };
    const r = await verifyCopy(input);
    assert.equal(r.ok, true);
    assert.equal(r.events, 15);
  });

  it('lists at most MAX_FINDINGS findings and counts the rest', async () => {
    const items: CopyItem[] = [];
    for (let s = 2; s <= 2 * (MAX_FINDINGS + 5); s += 2)
      items.push({ seq: s, event: { n: s }, prevHash: null, hash: null });
    const r = await verifyCopy({
      source: 'siem',
      location: 'x',
      items,
      orderMatters: false,
      manifests: [],
      mayStartLate: false,
      checkpoints: [],
      manifestGraceS: 0,
      checkpointGraceS: 0,
      keys: [],
      now: now(),
    });
    assert.equal(r.ok, false);
    assert.equal(r.findings.length, MAX_FINDINGS);
    assert.ok(r.notes.includes('5 more findings not listed'), r.notes.join('; '));
  });
});
