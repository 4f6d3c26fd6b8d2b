import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { fromSiemDocument, type SiemFormat, toSiemDocument } from '../../../core/siem/format.js';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches } from './batches.js';
import { loadOrCreateAuditSigningKey, trustedKeyFromPem } from './checkpoints.js';
import {
  databaseRecords,
  decodeNativeLine,
  fileRecords,
  MAX_LINE_BYTES,
  readLines,
  readManifestDir,
  readWormCopy,
  verifyAuditTrail,
} from './copies.js';
import { AuditService } from './service.js';
import { fileAuditSigner } from './signer.js';
import type { CopyItem } from './verify.js';

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('reading copies of the audit trail', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-copies-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('splits lines across read chunks, skips blank ones, and never buffers an over-long line', async () => {
    const path = join(dir, 'lines.ndjson');
    const long = 'y'.repeat(MAX_LINE_BYTES + 1);
    const filler = 'z'.repeat(40_000); // the second one crosses the 64 KiB read chunk
    writeFileSync(path, `a\n\n${filler}\n${filler}\n${long}\nb\r\nlast-without-newline`);
    const lines = await collect(readLines(path));
    assert.deepEqual(
      lines.map((l) => [
        l.line,
        l.text === null ? null : l.text.length > 20 ? `${l.text.length} chars` : l.text,
      ]),
      [
        [1, 'a'],
        [3, '40000 chars'],
        [4, '40000 chars'],
        [5, null],
        [6, 'b\r'],
        [7, 'last-without-newline'],
      ],
    );
    writeFileSync(path, 'x'.repeat(3 * MAX_LINE_BYTES));
    assert.deepEqual(await collect(readLines(path)), [{ line: 1, text: null }]);
  });

  it('decodes the flat line leniently about event fields, strictly about seq and hashes', async () => {
    const h = 'a'.repeat(64);
    assert.deepEqual(decodeNativeLine({ seq: 3, action: 'x', extra: 1, prev_hash: h, hash: h }), {
      seq: 3,
      event: { action: 'x', extra: 1 },
      prevHash: h,
      hash: h,
    });
    assert.deepEqual(decodeNativeLine({ seq: 3, action: 'x' }), {
      seq: 3,
      event: { action: 'x' },
      prevHash: null,
      hash: null,
    });
    assert.throws(() => decodeNativeLine({ seq: 3, hash: 'A'.repeat(64) }));
    assert.throws(() => decodeNativeLine([1]));
    const path = join(dir, 'records.ndjson');
    writeFileSync(
      path,
      [
        JSON.stringify({ seq: 1, a: 1, prev_hash: h, hash: h }),
        '[1]',
        JSON.stringify({ seq: 0, a: 1 }),
        JSON.stringify({ seq: 2.5, a: 1 }),
        'not json',
        JSON.stringify({ seq: 9, a: 1 }),
      ].join('\n'),
    );
    const items = await collect(fileRecords(path));
    assert.deepEqual(items, [
      { seq: 1, event: { a: 1 }, prevHash: h, hash: h },
      { unreadable: 'line 2' },
      { unreadable: 'line 3' },
      { unreadable: 'line 4' },
      { unreadable: 'line 5' },
      { seq: 9, event: { a: 1 }, prevHash: null, hash: null },
    ] satisfies CopyItem[]);
    const throwing = () => {
      throw new Error('not an ECS document');
    };
    assert.deepEqual(
      await collect(fileRecords(path, throwing)),
      [1, 2, 3, 4, 5, 6].map((n) => ({ unreadable: `line ${n}` })),
    );
  });

  it('reads a WORM directory: numbered files only, in batch order', async () => {
    const worm = join(dir, 'worm');
    mkdirSync(join(worm, 'batches'), { recursive: true });
    mkdirSync(join(worm, 'manifests'), { recursive: true });
    writeFileSync(join(worm, 'batches', '000000000010.ndjson'), `${JSON.stringify({ seq: 10, a: 1 })}\n`);
    writeFileSync(
      join(worm, 'batches', '000000000002.ndjson'),
      `${JSON.stringify({ seq: 2, a: 1 })}\n{bad\n`,
    );
    writeFileSync(join(worm, 'batches', '.a1b2.tmp'), 'ignored');
    writeFileSync(join(worm, 'batches', '2.ndjson'), 'ignored');
    writeFileSync(join(worm, 'manifests', '000000000002.json'), '{}');
    writeFileSync(join(worm, 'manifests', '000000000003.json'), ' '.repeat(10_000));
    writeFileSync(join(worm, 'manifests', 'README'), 'ignored');
    const copy = readWormCopy(worm);
    assert.deepEqual(copy.batchFiles, [2, 10]);
    assert.deepEqual(
      copy.manifests.map((m) => [m.batch, m.text.length]),
      [
        [2, 2],
        [3, 4097],
      ],
      'an oversized manifest is not read, only refused',
    );
    assert.deepEqual(await collect(copy.items), [
      { seq: 2, event: { a: 1 }, prevHash: null, hash: null, file: 2 },
      { unreadable: 'batch 2 line 2' },
      { seq: 10, event: { a: 1 }, prevHash: null, hash: null, file: 10 },
    ]);
    assert.throws(
      () => readWormCopy(join(dir, 'nowhere')),
      (err: unknown) => isViworksError(err, 'VIW_E_NOT_FOUND'),
    );
    assert.throws(
      () => readManifestDir(join(dir, 'nowhere')),
      (err: unknown) => isViworksError(err, 'VIW_E_NOT_FOUND'),
    );
  });
});

describe('verifying ECS and OCSF exports through their decoders (core/siem)', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-copies-siem-'));
    database = await openDatabase({ dataDir: dir });
    const signer = fileAuditSigner(loadOrCreateAuditSigningKey(dir));
    const audit = new AuditService(
      database.db,
      { env: 'test', site: 'lab', tenant_id: 't1' },
      randomBytes(32),
    );
    for (let i = 0; i < 9; i++)
      await audit.record({
        component: 'backend',
        action: 'auth.login',
        result: i % 3 ? 'success' : 'denied',
        src_ip: '192.0.2.7',
      });
    await sealPendingBatches({ db: database.db, signer, archive: null, now: () => new Date() });
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const format of ['ecs', 'ocsf'] as const satisfies readonly SiemFormat[]) {
    it(`${format}: an intact export verifies; an edited document is found`, async () => {
      const docs: string[] = [];
      for await (const item of databaseRecords(database.db)) {
        assert.ok(!('unreadable' in item));
        const record = {
          seq: item.seq,
          event: item.event as never,
          prevHash: item.prevHash!,
          hash: item.hash!,
        };
        docs.push(JSON.stringify(toSiemDocument(format, record)));
      }
      const path = join(dir, `${format}.ndjson`);
      writeFileSync(path, `${docs.reverse().join('\n')}\n`);
      const check = () =>
        verifyAuditTrail({
          db: database.db,
          databaseLocation: 'test',
          dataDir: dir,
          keys: [trustedKeyFromPem(readFileSync(join(dir, 'audit', 'audit-signing.pub.pem'), 'utf8'))],
          siem: { path, decoder: (doc) => fromSiemDocument(format, doc) },
          lagGraceS: 600,
        });
      const ok = await check();
      assert.equal(ok.ok, true, JSON.stringify(ok.sources[1]));
      assert.equal(ok.sources[1]!.events, 9);
      writeFileSync(path, `${docs.map((d) => d.replace('192.0.2.7', '192.0.2.8')).join('\n')}\n`);
      const edited = await check();
      assert.equal(edited.ok, false);
      assert.ok(edited.sources[1]!.findings.length > 0);
    });
  }
});
