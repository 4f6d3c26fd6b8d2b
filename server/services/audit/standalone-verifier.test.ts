// siem/verify/viworks-audit-verify.mjs is what an auditor runs without our backend. It re-implements
// the verifier on purpose, so here it runs as a child process on data the backend produced — intact
// and tampered every way verify.ts finds — and must say exactly what the TypeScript verifier says.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chainHash } from '../../../core/audit/chain.js';
import { type AuditEvent, buildAuditEvent } from '../../../core/audit/event.js';
import { manifestSignedBytes, manifestText, parseManifestText } from '../../../core/audit/manifest.js';
import { openDatabase } from '../../data/database.js';
import { sealPendingBatches } from './batches.js';
import {
  auditPaths,
  loadOrCreateAuditSigningKey,
  readCheckpointFile,
  type TrustedKey,
  trustedKeyFromPem,
  writeCheckpoint,
} from './checkpoints.js';
import { fileRecords, readManifestDir, readWormCopy } from './copies.js';
import { AuditService } from './service.js';
import { type AuditSigner, fileAuditSigner } from './signer.js';
import { directoryArchive } from './testing.js';
import { type CopyReport, verifyCopy } from './verify.js';

const VERIFIER = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../siem/verify/viworks-audit-verify.mjs',
);
const CTX = { env: 'test', site: 'lab', tenant_id: 't1' };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [VERIFIER, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) : 0;
        done({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

const ids = (r: Pick<CopyReport, 'findings'>) =>
  r.findings.map((f) => `${f.kind}:${f.batch ?? ''}:${f.seq ?? ''}`);
const stem = (b: number) => String(b).padStart(12, '0');

describe('the standalone verifier agrees with the backend', () => {
  let base: string;
  let keyFile: string;
  let checkpoints: string;
  let key: TrustedKey;
  let signer: AuditSigner;
  let pristineWorm: string;
  let pristineNdjson: string;
  let caseNo = 0;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'viw-standalone-'));
    const database = await openDatabase({ dataDir: base });
    try {
      signer = fileAuditSigner(loadOrCreateAuditSigningKey(base));
      key = trustedKeyFromPem(signer.publicKeyPem);
      keyFile = auditPaths(base).publicKey;
      checkpoints = auditPaths(base).checkpoints;
      pristineWorm = join(base, 'worm');
      const audit = new AuditService(database.db, CTX, randomBytes(32), { dataDir: base });
      let rc = 0;
      for (let b = 0; b < 3; b++) {
        for (let i = 0; i < 8; i++)
          // Every other event carries the extension fields (present only when known): both shapes verify.
          await audit.record({
            component: 'backend',
            action: 'auth.login',
            result: 'success',
            rc: ++rc,
            ...(i % 2 ? { gateway: 'gw-a', tls_ja4: 't13d1516h2_8daaf6152771_e5627efa2ab1' } : {}),
          });
        await sealPendingBatches({
          db: database.db,
          signer,
          archive: directoryArchive(pristineWorm),
          now: () => new Date(),
        });
      }
      await writeCheckpoint(database.db, signer, base);
      pristineNdjson = join(base, 'audit', 'audit.ndjson');
    } finally {
      await database.close();
    }
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  /** A fresh copy of the WORM directory and the NDJSON file for one case. */
  function freshCase() {
    const dir = join(base, `case-${++caseNo}`);
    cpSync(pristineWorm, join(dir, 'worm'), { recursive: true });
    cpSync(pristineNdjson, join(dir, 'copy.ndjson'));
    const worm = join(dir, 'worm');
    return {
      worm,
      ndjson: join(dir, 'copy.ndjson'),
      manifests: join(worm, 'manifests'),
      batchFile: (b: number) => join(worm, 'batches', `${stem(b)}.ndjson`),
      manifestFile: (b: number) => join(worm, 'manifests', `${stem(b)}.json`),
    };
  }

  async function both(mode: 'worm' | 'ndjson', c: ReturnType<typeof freshCase>) {
    const now = new Date();
    const common = {
      checkpoints: readCheckpointFile(checkpoints),
      keys: [key],
      manifestGraceS: 0,
      checkpointGraceS: 0,
      mayStartLate: true,
      orderMatters: true,
      now,
    };
    let ts: CopyReport;
    let args: string[];
    if (mode === 'worm') {
      const copy = readWormCopy(c.worm);
      ts = await verifyCopy({
        ...common,
        source: 'worm',
        location: c.worm,
        items: copy.items,
        manifests: copy.manifests,
        batchFiles: copy.batchFiles,
      });
      args = ['--worm', c.worm];
    } else {
      ts = await verifyCopy({
        ...common,
        source: 'ndjson',
        location: c.ndjson,
        items: fileRecords(c.ndjson),
        manifests: readManifestDir(c.manifests),
      });
      args = ['--ndjson', c.ndjson, '--manifests', c.manifests];
    }
    const out = await run([
      '--key',
      keyFile,
      ...args,
      '--checkpoints',
      checkpoints,
      '--lag-grace',
      '0',
      '--json',
    ]);
    assert.equal(out.stderr, '');
    const standalone = JSON.parse(out.stdout) as { v: number } & CopyReport;
    const { v, ...report } = standalone;
    assert.equal(v, 1);
    assert.deepEqual(report, ts, 'the standalone verifier and the backend disagree');
    assert.equal(out.code, ts.ok ? 0 : 1);
    return ts;
  }

  const rewrite = (path: string, edit: (lines: string[]) => string[]) =>
    writeFileSync(path, `${edit(readFileSync(path, 'utf8').trim().split('\n')).join('\n')}\n`);
  const forged = (prev: string, seq: number) => {
    const e: AuditEvent = buildAuditEvent(CTX, {
      component: 'admin',
      action: 'admin.user_lock',
      result: 'success',
    });
    return JSON.stringify({ seq, ...e, prev_hash: prev, hash: chainHash(prev, e) });
  };
  const resign = async (path: string, change: Record<string, unknown>, by: AuditSigner = signer) => {
    const { sig: _sig, ...unsigned } = { ...parseManifestText(readFileSync(path, 'utf8')), ...change };
    const sig = (await by.sign(manifestSignedBytes(unsigned))).toString('base64');
    writeFileSync(path, manifestText({ ...unsigned, sig } as ReturnType<typeof parseManifestText>));
  };

  it('uses nothing but Node built-ins', () => {
    const source = readFileSync(VERIFIER, 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    assert.ok(imports.length > 0);
    assert.deepEqual(
      imports.filter((m) => !m!.startsWith('node:')),
      [],
    );
  });

  it('refuses bad usage (64) and unreadable input (2)', async () => {
    assert.equal((await run([])).code, 64);
    assert.equal(
      (await run(['--key', keyFile, '--ndjson', pristineNdjson])).code,
      64,
      '--ndjson needs --manifests',
    );
    assert.equal(
      (await run(['--key', keyFile, '--worm', pristineWorm, '--ndjson', pristineNdjson])).code,
      64,
    );
    assert.equal((await run(['--key', keyFile, '--worm', join(base, 'nowhere')])).code, 2);
    assert.equal((await run(['--key', checkpoints, '--worm', pristineWorm])).code, 2, 'not a key');
  });

  it('accepts intact copies, in text and JSON', async () => {
    const c = freshCase();
    assert.equal((await both('worm', c)).ok, true);
    assert.equal((await both('ndjson', c)).ok, true);
    const text = await run(['--key', keyFile, '--worm', c.worm]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /intact — 24 events, 3 signed batches \(1\.\.3\)/);
  });

  const tampers: {
    name: string;
    mode: 'worm' | 'ndjson';
    expected: string;
    tamper: (c: ReturnType<typeof freshCase>) => void | Promise<void>;
  }[] = [
    {
      name: 'an edited event',
      mode: 'worm',
      expected: 'event_edited::5',
      tamper: (c) =>
        rewrite(c.batchFile(1), (l) => l.map((x, i) => (i === 4 ? x.replace('"rc":5,', '"rc":55,') : x))),
    },
    {
      name: 'a deleted event',
      mode: 'worm',
      expected: 'event_missing::11',
      tamper: (c) => rewrite(c.batchFile(2), (l) => l.filter((_, i) => i !== 2)),
    },
    {
      name: 'reordered events',
      mode: 'worm',
      expected: 'event_out_of_order::12',
      tamper: (c) => rewrite(c.batchFile(2), (l) => [l[0]!, l[1]!, l[3]!, l[2]!, ...l.slice(4)]),
    },
    {
      name: 'an inserted event',
      mode: 'worm',
      expected: 'event_inserted::5',
      tamper: (c) =>
        rewrite(c.batchFile(1), (l) => [...l.slice(0, 5), forged(JSON.parse(l[3]!).hash, 5), ...l.slice(5)]),
    },
    {
      name: 'a batch file holding another batch’s event',
      mode: 'worm',
      expected: 'batch_mismatch:1:',
      tamper: (c) => {
        const two = readFileSync(c.batchFile(2), 'utf8').trim().split('\n');
        rewrite(c.batchFile(1), (l) => [...l, two[0]!]);
        rewrite(c.batchFile(2), (l) => l.slice(1));
      },
    },
    {
      name: 'a batch whose root no longer matches',
      mode: 'worm',
      expected: 'batch_mismatch:2:',
      tamper: (c) =>
        rewrite(c.batchFile(2), (lines) => {
          let prev = JSON.parse(lines[0]!).prev_hash as string;
          return lines.map((l) => {
            const { seq, prev_hash: _p, hash: _h, ...event } = JSON.parse(l) as Record<string, unknown>;
            const e = (seq === 12 ? { ...event, rc: 120 } : event) as AuditEvent;
            const hash = chainHash(prev, e);
            const line = JSON.stringify({ seq, ...e, prev_hash: prev, hash });
            prev = hash;
            return line;
          });
        }),
    },
    {
      name: 'a bad manifest signature',
      mode: 'worm',
      expected: 'manifest_bad_signature:2:',
      tamper: (c) =>
        writeFileSync(
          c.manifestFile(2),
          readFileSync(c.manifestFile(2), 'utf8').replace(/"count":8/, '"count":7'),
        ),
    },
    {
      name: 'a broken manifest chain',
      mode: 'worm',
      expected: 'manifest_chain_broken:3:',
      tamper: (c) => resign(c.manifestFile(3), { prev_manifest: 'e'.repeat(64) }),
    },
    {
      name: 'a manifest by an unknown key',
      mode: 'worm',
      expected: 'manifest_unknown_key:2:',
      tamper: async (c) => {
        const other = mkdtempSync(join(tmpdir(), 'viw-other-'));
        const by = fileAuditSigner(loadOrCreateAuditSigningKey(other));
        rmSync(other, { recursive: true, force: true });
        await resign(c.manifestFile(2), { key_id: by.keyId }, by);
      },
    },
    {
      name: 'a missing manifest',
      mode: 'worm',
      expected: 'manifest_missing:2:',
      tamper: (c) => unlinkSync(c.manifestFile(2)),
    },
    {
      name: 'a truncated copy (newest batch removed; the checkpoint knows)',
      mode: 'worm',
      expected: 'truncated::16',
      tamper: (c) => {
        unlinkSync(c.batchFile(3));
        unlinkSync(c.manifestFile(3));
      },
    },
    {
      name: 'a truncated batch file',
      mode: 'worm',
      expected: 'truncated::21',
      tamper: (c) => rewrite(c.batchFile(3), (l) => l.slice(0, 5)),
    },
    {
      name: 'an edited line',
      mode: 'ndjson',
      expected: 'event_edited::20',
      tamper: (c) =>
        rewrite(c.ndjson, (l) => l.map((x, i) => (i === 19 ? x.replace('"success"', '"failure"') : x))),
    },
    {
      name: 'a deleted line',
      mode: 'ndjson',
      expected: 'event_missing::20',
      tamper: (c) => rewrite(c.ndjson, (l) => l.filter((_, i) => i !== 19)),
    },
    {
      name: 'reordered lines',
      mode: 'ndjson',
      expected: 'event_out_of_order::2',
      tamper: (c) => rewrite(c.ndjson, (l) => [l[1]!, l[0]!, ...l.slice(2)]),
    },
    {
      name: 'an inserted line',
      mode: 'ndjson',
      expected: 'event_inserted::9',
      tamper: (c) =>
        rewrite(c.ndjson, (l) => [...l.slice(0, 9), forged(JSON.parse(l[7]!).hash, 9), ...l.slice(9)]),
    },
    {
      name: 'a truncated file',
      mode: 'ndjson',
      expected: 'truncated::18',
      tamper: (c) => rewrite(c.ndjson, (l) => l.slice(0, 18)),
    },
    {
      name: 'a line that is not a record',
      mode: 'ndjson',
      expected: 'record_unreadable::',
      tamper: (c) => rewrite(c.ndjson, (l) => [...l.slice(0, 3), '{"seq":', ...l.slice(3)]),
    },
  ];

  for (const t of tampers)
    it(`${t.mode}: ${t.name}`, async () => {
      const c = freshCase();
      await t.tamper(c);
      const report = await both(t.mode, c);
      assert.equal(report.ok, false);
      assert.ok(ids(report).includes(t.expected), `expected ${t.expected}, got ${ids(report).join(', ')}`);
    });

  it('worm: a copy whose oldest batch expired verifies, and says so', async () => {
    const c = freshCase();
    unlinkSync(c.batchFile(1));
    unlinkSync(c.manifestFile(1));
    const report = await both('worm', c);
    assert.equal(report.ok, true, ids(report).join(', '));
    assert.ok(report.notes.includes('starts at batch 2 (earlier batches were removed by retention)'));
  });
});
