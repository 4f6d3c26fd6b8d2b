// Where the audit trail lives, read into the verifier's records (verify.ts), and `audit verify` over
// all of them (verifyAuditTrail): the database, an NDJSON
// export (the flat `{seq, ...event, prev_hash, hash}` lines of <dataDir>/audit/audit.ndjson), the
// WORM directory (batches/ + manifests/, docs/audit.md#worm) and a SIEM export (one shipped document
// per line, decoded by the format's decoder). Readers never trust the input: lines are size-capped,
// a bad line is a finding (by its line number), not an exception.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BatchManifest,
  MAX_MANIFEST_BYTES,
  manifestDigest,
  manifestSignedBytes,
  parseManifestText,
} from '../../../core/audit/manifest.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db } from '../../data/client.js';
import { readCheckpoints, type TrustedKey } from './checkpoints.js';
import { verifyAuditSignature } from './signer.js';
import { type CopyItem, type CopyReport, type Finding, type ManifestSource, verifyCopy } from './verify.js';

/** An audit line is a few hundred bytes; one far longer is not ours (and is never buffered whole). */
export const MAX_LINE_BYTES = 64 * 1024;
const PAGE = 2_000;
const HEX64 = /^[0-9a-f]{64}$/;

/** What a decoder makes of one exported document. */
export interface DecodedRecord {
  readonly seq: number;
  readonly event: unknown;
  /** Absent or null when the format does not carry the hash chain. */
  readonly prevHash?: string | null;
  readonly hash?: string | null;
}

/** Turns one document of an export back into its record; throws on a document it cannot read. */
export type SiemDecoder = (doc: unknown) => DecodedRecord;

/**
 * The native format: the flat line. Deliberately lenient about the event's fields (an edited field
 * must reach the verifier as an edited event, not be refused here); strict about seq and hashes.
 */
export function decodeNativeLine(doc: unknown): DecodedRecord {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
  const { seq, prev_hash: prevHash, hash, ...event } = doc as Record<string, unknown>;
  const hashOrNull = (v: unknown) => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !HEX64.test(v)) throw new Error('not a hash');
    return v;
  };
  return { seq: seq as number, event, prevHash: hashOrNull(prevHash), hash: hashOrNull(hash) };
}

function toItem(decoded: DecodedRecord, where: string, file?: number): CopyItem {
  const { seq, event } = decoded;
  if (!Number.isSafeInteger(seq) || seq < 1 || event === null || typeof event !== 'object')
    return { unreadable: where };
  const prevHash = decoded.prevHash ?? null;
  const hash = decoded.hash ?? null;
  if ((prevHash !== null && !HEX64.test(prevHash)) || (hash !== null && !HEX64.test(hash)))
    return { unreadable: where };
  return file === undefined ? { seq, event, prevHash, hash } : { seq, event, prevHash, hash, file };
}

/** Lines of a file, each at most maxBytes (longer ones come back as null, never buffered whole). */
export async function* readLines(
  path: string,
  maxBytes = MAX_LINE_BYTES,
): AsyncGenerator<{ readonly line: number; readonly text: string | null }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 0;
  const flush = function* (): Generator<{ line: number; text: string | null }> {
    line++;
    const text = tooLong ? null : Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    tooLong = false;
    if (text === null || text.trim() !== '') yield { line, text };
  };
  for await (const chunk of createReadStream(path)) {
    let buf = chunk as Buffer;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      if (!tooLong && size + nl <= maxBytes) parts.push(buf.subarray(0, nl));
      else tooLong = true;
      size += nl;
      yield* flush();
      buf = buf.subarray(nl + 1);
    }
    if (!tooLong && size + buf.length <= maxBytes) parts.push(buf);
    else tooLong = true;
    size += buf.length;
  }
  if (size > 0 || tooLong) yield* flush();
}

/** The records of an NDJSON file (native lines, or SIEM documents through their decoder). */
export async function* fileRecords(
  path: string,
  decode: SiemDecoder = decodeNativeLine,
  where: (line: number) => string = (line) => `line ${line}`,
  file?: number,
): AsyncGenerator<CopyItem> {
  for await (const { line, text } of readLines(path)) {
    let decoded: DecodedRecord;
    try {
      if (text === null) throw new Error('too long');
      decoded = decode(JSON.parse(text));
    } catch {
      yield { unreadable: where(line) };
      continue;
    }
    yield toItem(decoded, where(line), file);
  }
}

/** The database's records in seq order. */
export async function* databaseRecords(db: Db): AsyncGenerator<CopyItem> {
  for (let after = 0n; ; ) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) return;
    for (const r of rows) {
      const seq = Number(r.seq);
      let event: unknown;
      try {
        event = JSON.parse(r.event);
      } catch {
        yield { unreadable: `event ${seq}` };
        continue;
      }
      yield toItem({ seq, event, prevHash: r.prevHash, hash: r.hash }, `event ${seq}`);
    }
    after = rows[rows.length - 1]!.seq;
  }
}

/** One audit_batches row: the manifest and the columns that index it. */
export interface DatabaseBatch extends ManifestSource {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
  readonly root: string;
  readonly sealedAt: Date;
  readonly archivedAt: Date | null;
}

export async function databaseBatches(db: Db): Promise<DatabaseBatch[]> {
  const out: DatabaseBatch[] = [];
  for (let after = 0; ; ) {
    const rows = await db.auditBatch.findMany({
      where: { batch: { gt: after } },
      orderBy: { batch: 'asc' },
      take: PAGE,
    });
    if (rows.length === 0) return out;
    for (const r of rows)
      out.push({
        batch: r.batch,
        text: r.manifest,
        firstSeq: Number(r.firstSeq),
        lastSeq: Number(r.lastSeq),
        count: r.count,
        root: r.root,
        sealedAt: r.sealedAt,
        archivedAt: r.archivedAt,
      });
    after = rows[rows.length - 1]!.batch;
  }
}

const STEM = /^(\d{12})\.(ndjson|json)$/;

/** `<stem>.<ext>` files of a directory by batch number, ascending; other names are not ours. */
function numberedFiles(dir: string, ext: 'ndjson' | 'json'): { batch: number; path: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: STEM.exec(name) }))
    .filter((x) => x.m && x.m[2] === ext && Number(x.m[1]) >= 1)
    .map((x) => ({ batch: Number(x.m![1]), path: join(dir, x.name) }))
    .sort((a, b) => a.batch - b.batch);
}

/** Manifest files `<12 digits>.json` of a directory (a WORM copy's manifests/, or an auditor's). */
export function readManifestDir(dir: string): ManifestSource[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['manifests: no such directory'] });
  return numberedFiles(dir, 'json').map(({ batch, path }) => ({
    batch,
    // A file far over the cap is refused by the parser without being read whole.
    text:
      statSync(path).size > MAX_MANIFEST_BYTES
        ? ' '.repeat(MAX_MANIFEST_BYTES + 1)
        : readFileSync(path, 'utf8'),
  }));
}

export interface WormCopy {
  readonly manifests: ManifestSource[];
  readonly batchFiles: number[];
  /** The batch files' records, file by file, line by line. */
  readonly items: AsyncIterable<CopyItem>;
}

/** A WORM directory as put() wrote it: batches/<12>.ndjson and manifests/<12>.json. */
export function readWormCopy(dir: string): WormCopy {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['worm: no such directory'] });
  const files = numberedFiles(join(dir, 'batches'), 'ndjson');
  const manifestsDir = join(dir, 'manifests');
  return {
    manifests: existsSync(manifestsDir) ? readManifestDir(manifestsDir) : [],
    batchFiles: files.map((f) => f.batch),
    items: (async function* () {
      for (const { batch, path } of files)
        yield* fileRecords(path, decodeNativeLine, (line) => `batch ${batch} line ${line}`, batch);
    })(),
  };
}

/** What `audit verify` checks: always the database, and each copy that is given. */
export interface AuditTrailCheck {
  readonly db: Db;
  /** The database's safe location (never a URL with its password). */
  readonly databaseLocation: string;
  /** Holds audit/checkpoints.ndjson. */
  readonly dataDir: string;
  readonly keys: readonly TrustedKey[];
  readonly ndjson?: string | null;
  /** retentionDays: the WORM copy's retention, when known (a batch older than it may be gone). */
  readonly worm?: { readonly dir: string; readonly retentionDays: number | null } | null;
  readonly siem?: { readonly path: string; readonly decoder: SiemDecoder } | null;
  /** How long the WORM copy and a SIEM may lag behind a checkpoint (or a SIEM behind a batch). */
  readonly lagGraceS: number;
  readonly now?: Date;
}

export interface AuditVerification {
  readonly v: 1;
  readonly ok: boolean;
  /** The database first, then each copy given. */
  readonly sources: readonly CopyReport[];
  /** The database against the WORM copy. */
  readonly cross_checks: readonly Finding[];
}

/** Manifests whose signature verifies, by batch. */
function signedManifests(
  sources: readonly ManifestSource[],
  keys: readonly TrustedKey[],
): Map<number, BatchManifest> {
  const out = new Map<number, BatchManifest>();
  for (const src of sources) {
    try {
      const m = parseManifestText(src.text);
      const key = keys.find((k) => k.keyId === m.key_id && k.algorithm === m.alg);
      if (
        m.batch === src.batch &&
        key &&
        verifyAuditSignature(m.alg, key.publicKeyPem, manifestSignedBytes(m), Buffer.from(m.sig, 'base64'))
      )
        out.set(m.batch, m);
    } catch {
      // Unreadable manifests are the copy's own finding.
    }
  }
  return out;
}

const newest = (m: Map<number, BatchManifest>) =>
  [...m.values()].reduce<BatchManifest | null>((a, b) => (a && a.batch > b.batch ? a : b), null);

/** The audit_batches index columns must say what the signed manifest says. */
function indexColumnFindings(rows: readonly DatabaseBatch[]): Finding[] {
  const out: Finding[] = [];
  for (const r of rows) {
    let m: BatchManifest;
    try {
      m = parseManifestText(r.text);
    } catch {
      continue;
    }
    if (m.first_seq !== r.firstSeq || m.last_seq !== r.lastSeq || m.count !== r.count || m.root !== r.root)
      out.push({
        kind: 'batch_mismatch',
        batch: r.batch,
        message: `batch ${r.batch}: index columns differ from its manifest`,
      });
  }
  return out;
}

/** The database's batches against the WORM copy's: same manifests, nothing archived gone early. */
function compareWithWorm(
  rows: readonly DatabaseBatch[],
  worm: readonly ManifestSource[],
  retentionDays: number | null,
  now: Date,
): { findings: Finding[]; pending: number } {
  const findings: Finding[] = [];
  const wormByBatch = new Map(worm.map((w) => [w.batch, w.text]));
  const digestOf = (text: string) => {
    try {
      return manifestDigest(parseManifestText(text));
    } catch {
      return null;
    }
  };
  let pending = 0;
  for (const r of rows) {
    const w = wormByBatch.get(r.batch);
    wormByBatch.delete(r.batch);
    if (w !== undefined) {
      if (digestOf(w) !== digestOf(r.text))
        findings.push({
          kind: 'copies_differ',
          batch: r.batch,
          message: `batch ${r.batch}: the database and the WORM copy hold different manifests`,
        });
      continue;
    }
    if (r.archivedAt === null) {
      pending++;
      continue;
    }
    const expired =
      retentionDays !== null && now.getTime() - r.archivedAt.getTime() > retentionDays * 86_400_000;
    if (!expired)
      findings.push({
        kind: 'manifest_missing',
        batch: r.batch,
        message: `batch ${r.batch}: archived, but missing from the WORM copy`,
      });
  }
  for (const batch of wormByBatch.keys())
    findings.push({
      kind: 'copies_differ',
      batch,
      message: `batch ${batch}: in the WORM copy, not in the database`,
    });
  return { findings, pending };
}

/** Verifies the database, then each copy given against the same signed manifests and checkpoints. */
export async function verifyAuditTrail(c: AuditTrailCheck): Promise<AuditVerification> {
  const now = c.now ?? new Date();
  // Checkpoints and manifests before records: whatever is sealed meanwhile is then also read.
  const checkpoints = readCheckpoints(c.dataDir);
  const rows = await databaseBatches(c.db);
  const worm = c.worm ? readWormCopy(c.worm.dir) : null;
  const dbSigned = signedManifests(rows, c.keys);
  const wormSigned = worm ? signedManifests(worm.manifests, c.keys) : new Map<number, BatchManifest>();
  const wormNewest = newest(wormSigned);
  const archivedBatches = new Set(rows.filter((r) => r.archivedAt).map((r) => r.batch));
  const archived = newest(new Map([...dbSigned].filter(([b]) => archivedBatches.has(b))));
  const sources: CopyReport[] = [];
  const dbReport = await verifyCopy({
    source: 'database',
    location: c.databaseLocation,
    items: databaseRecords(c.db),
    orderMatters: false,
    manifests: rows,
    mayStartLate: false,
    checkpoints,
    manifestGraceS: 0,
    checkpointGraceS: 0,
    keys: c.keys,
    expectedEnd: wormNewest
      ? { seq: wormNewest.last_seq, what: `the WORM copy's batch ${wormNewest.batch}` }
      : null,
    now,
  });
  const columns = indexColumnFindings(rows);
  sources.push(
    columns.length ? { ...dbReport, ok: false, findings: [...dbReport.findings, ...columns] } : dbReport,
  );
  const common = { checkpoints, keys: c.keys, now };
  if (c.ndjson)
    sources.push(
      await verifyCopy({
        ...common,
        source: 'ndjson',
        location: c.ndjson,
        items: fileRecords(c.ndjson),
        orderMatters: true,
        manifests: rows,
        mayStartLate: false,
        manifestGraceS: 0,
        checkpointGraceS: 0,
      }),
    );
  let cross: Finding[] = [];
  if (worm && c.worm) {
    sources.push(
      await verifyCopy({
        ...common,
        source: 'worm',
        location: c.worm.dir,
        items: worm.items,
        orderMatters: true,
        manifests: worm.manifests,
        mayStartLate: true,
        batchFiles: worm.batchFiles,
        manifestGraceS: 0,
        checkpointGraceS: c.lagGraceS,
        expectedEnd: archived
          ? { seq: archived.last_seq, what: `the database's archived batch ${archived.batch}` }
          : null,
      }),
    );
    const compared = compareWithWorm(rows, worm.manifests, c.worm.retentionDays, now);
    cross = compared.findings;
    if (compared.pending > 0) {
      const report = sources[sources.length - 1]!;
      sources[sources.length - 1] = {
        ...report,
        notes: [
          ...report.notes,
          `${compared.pending} sealed batches are not in the WORM copy yet (the sealer retries)`,
        ],
      };
    }
  }
  if (c.siem)
    sources.push(
      await verifyCopy({
        ...common,
        source: 'siem',
        location: c.siem.path,
        items: fileRecords(c.siem.path, c.siem.decoder),
        orderMatters: false,
        manifests: rows,
        mayStartLate: false,
        manifestGraceS: c.lagGraceS,
        checkpointGraceS: c.lagGraceS,
      }),
    );
  return { v: 1, ok: sources.every((s) => s.ok) && cross.length === 0, sources, cross_checks: cross };
}
