// Admin API: the audit trail's integrity (docs/audit.md) as the panel shows it.
//   integrity: the chain's head, the newest sealed batch and checkpoint with their signatures judged
//              by the keys this backend published, and the last verification (any instance: kept
//              in the shared store);
//   verify:    the one audit verifier (`viworks-server audit verify`, copies.ts) over the database,
//              against the signed manifests and this instance's checkpoints — read-only, but it
//              reads every event, so at most VERIFY_RULE.limit runs a minute across all instances
//              and one at a time; its outcome is audited (a broken trail at severity critical).
import {
  type AuditCheckpointViewT,
  type AuditIntegrityReplyT,
  type AuditManifestViewT,
  AuditVerificationView,
  type AuditVerificationViewT,
} from '../../../core/api/admin-audit.js';
import { manifestSignedBytes, parseManifestText } from '../../../core/audit/manifest.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { cachedValidator } from '../../../core/schema/strict.js';
import type { AppContext } from '../../context.js';
import {
  auditPaths,
  checkCheckpointSignature,
  lastCheckpoint,
  type TrustedKey,
} from '../audit/checkpoints.js';
import { verifyAuditTrail } from '../audit/copies.js';
import { publishedAuditKeys } from '../audit/keys.js';
import { verifyAuditSignature } from '../audit/signer.js';
import type { Finding } from '../audit/verify.js';
import type { RateRule } from '../rate-limit.js';
import { type AdminActor, auditAdmin } from './audit-events.js';
import { iso } from './paging.js';

type Deps = Pick<AppContext, 'db' | 'kv' | 'audit' | 'rate' | 'now' | 'config' | 'provider'>;

/** The verifier reads the whole table: twice a minute across all instances is plenty. */
export const VERIFY_RULE: RateRule = { name: 'admin-audit-verify', limit: 2, windowMs: 60_000 };
const LAST_KEY = 'audit:last-verification';
const LAST_TTL_MS = 90 * 86_400_000;
/** Held while a verification runs (any instance): a second one waits its turn. */
export const VERIFY_RUNNING_KEY = 'audit:verification-running';
const RUNNING_TTL_MS = 15 * 60_000;

type Signature = AuditManifestViewT['signature'];

function manifestSignature(text: string, keys: readonly TrustedKey[]): Signature {
  const m = parseManifestText(text);
  const key = keys.find((k) => k.keyId === m.key_id);
  if (!key) return 'unknown_key';
  if (key.algorithm !== m.alg) return 'invalid';
  const ok = verifyAuditSignature(
    m.alg,
    key.publicKeyPem,
    manifestSignedBytes(m),
    Buffer.from(m.sig, 'base64'),
  );
  return ok ? 'valid' : 'invalid';
}

async function latestManifest(deps: Deps, keys: readonly TrustedKey[]): Promise<AuditManifestViewT | null> {
  const row = await deps.db.auditBatch.findFirst({ orderBy: { batch: 'desc' } });
  if (!row) return null;
  let m: ReturnType<typeof parseManifestText>;
  try {
    m = parseManifestText(row.manifest);
  } catch {
    throw new ViworksError('VIW_E_INTERNAL', { details: [`audit batch ${row.batch}: unreadable manifest`] });
  }
  return {
    batch: row.batch,
    first_seq: Number(row.firstSeq),
    last_seq: Number(row.lastSeq),
    count: row.count,
    root: m.root,
    chain_head: m.chain_head,
    sealed_at: iso(row.sealedAt),
    archived_at: iso(row.archivedAt),
    key_id: m.key_id,
    signature: manifestSignature(row.manifest, keys),
  };
}

function latestCheckpoint(dataDir: string, keys: readonly TrustedKey[]): AuditCheckpointViewT | null {
  const cp = lastCheckpoint(auditPaths(dataDir).checkpoints);
  if (!cp) return null;
  const verdict = checkCheckpointSignature(cp, keys);
  return {
    seq: cp.seq,
    hash: cp.hash,
    at: new Date(cp.at).toISOString(),
    signature: verdict === 'unknown-key' ? 'unknown_key' : verdict,
  };
}

async function lastVerification(deps: Pick<Deps, 'kv'>): Promise<AuditVerificationViewT | null> {
  const text = await deps.kv.get(LAST_KEY);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return cachedValidator(AuditVerificationView).check(value) ? value : null;
  } catch {
    return null;
  }
}

export async function auditIntegrity(deps: Deps): Promise<AuditIntegrityReplyT> {
  const keys = publishedAuditKeys(deps.config.dataDir);
  const head = await deps.db.auditEvent.findFirst({
    orderBy: { seq: 'desc' },
    select: { seq: true, hash: true },
  });
  const manifest = await latestManifest(deps, keys);
  const lastSeq = head ? Number(head.seq) : 0;
  return {
    events: lastSeq,
    chain_head: head ? { seq: lastSeq, hash: head.hash } : null,
    latest_manifest: manifest,
    unsealed_events: Math.max(0, lastSeq - (manifest?.last_seq ?? 0)),
    latest_checkpoint: latestCheckpoint(deps.config.dataDir, keys),
    last_verification: await lastVerification(deps),
  };
}

/** A finding for the wire: its numbers and its sentence (which names numbers only). */
function problemOf(f: Finding): NonNullable<AuditVerificationViewT['first_problem']> {
  return {
    kind: f.kind,
    batch: f.batch ?? null,
    seq: f.seq ?? null,
    message: f.message.replace(/[^\x20-\x7E]/g, '?').slice(0, 300),
  };
}

export async function verifyAuditNow(deps: Deps, actor: AdminActor): Promise<AuditVerificationViewT> {
  await deps.rate.hit(VERIFY_RULE, 'all');
  if (!(await deps.kv.setIfAbsent(VERIFY_RUNNING_KEY, actor.userId, RUNNING_TTL_MS)))
    throw new ViworksError('VIW_E_RATE_LIMITED', { details: ['a verification is running; wait for it'] });
  try {
    const started = deps.now();
    const result = await verifyAuditTrail({
      db: deps.db,
      databaseLocation: deps.provider,
      dataDir: deps.config.dataDir,
      keys: publishedAuditKeys(deps.config.dataDir),
      lagGraceS: Math.max(600, 10 * deps.config.audit.batchIntervalS),
      now: started,
    });
    const db = result.sources[0]!;
    const findings = [...result.sources.flatMap((s) => s.findings), ...result.cross_checks];
    const view: AuditVerificationViewT = {
      ok: result.ok,
      at: started.toISOString(),
      by: deps.audit.userPseudonym(actor.auditId),
      duration_ms: Math.max(0, deps.now().getTime() - started.getTime()),
      events: db.events,
      last_seq: db.last_seq,
      batches_verified: db.batches.verified,
      checkpoints: db.checkpoints,
      findings: findings.length,
      first_problem: findings[0] ? problemOf(findings[0]) : null,
    };
    await deps.kv.set(LAST_KEY, JSON.stringify(view), LAST_TTL_MS);
    await auditAdmin(deps.audit, actor, {
      action: 'admin.audit_verify',
      result: view.ok ? 'success' : 'failure',
      ...(view.ok ? {} : { severity: 'critical' as const }),
      error_msg: view.first_problem
        ? `${view.findings} findings; first: ${view.first_problem.message}`.slice(0, 256)
        : `${view.events} events, ${view.batches_verified} signed batches intact`,
    });
    return view;
  } finally {
    await deps.kv.del(VERIFY_RUNNING_KEY);
  }
}
