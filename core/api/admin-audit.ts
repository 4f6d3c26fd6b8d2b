// Wire contract of the audit export and the audit trail's integrity (docs/admin-api.md, docs/audit.md):
//   GET  /admin/audit/export     the events /admin/audit would list, as one NDJSON or CSV file
//   GET  /admin/audit/integrity  what was sealed, signed and verified last
//   POST /admin/audit/verify     runs the one audit verifier over the database now
// The export's two formats are written by core/audit/export-format.ts. Objects are closed.
import { type Static, type TSchema, Type } from 'typebox';
import { AuditQuery } from './admin.js';
import { closed, IsoTime } from './common.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Seq = Type.Integer({ minimum: 1 });
const Count = Type.Integer({ minimum: 0 });
const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Pseudonym = Type.String({ pattern: '^u-[0-9a-f]{24}$' });

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];
/**
 * Rows one export holds at most. An export that reached it may have more to give: continue with
 * `cursor` = the last row's seq (exports are always in ascending seq order).
 */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;
export const AUDIT_EXPORT_MEDIA_TYPES: Readonly<Record<AuditExportFormat, string>> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

const F = AuditQuery.properties;
/** The filters of GET /admin/audit (same meaning), oldest first from `cursor` (a seq, exclusive). */
export const AuditExportQuery = Type.Object(
  {
    format: Type.Optional(Type.Enum(AUDIT_EXPORT_FORMATS)),
    cursor: F.cursor,
    from: F.from,
    to: F.to,
    action_prefix: F.action_prefix,
    result: F.result,
    user_id: F.user_id,
    actor: F.actor,
    session_id: F.session_id,
  },
  closed,
);

/** A signature as the verifier judges it with the keys this backend published. */
const Signature = Type.Enum(['valid', 'invalid', 'unknown_key']);

/** The newest sealed batch: its signed manifest pins events first_seq..last_seq. */
export const AuditManifestView = Type.Object(
  {
    batch: Type.Integer({ minimum: 1 }),
    first_seq: Seq,
    last_seq: Seq,
    count: Count,
    root: Hex64,
    chain_head: Hex64,
    sealed_at: IsoTime,
    /** When the WORM copy took it; null: not yet, or no WORM copy configured. */
    archived_at: Nullable(IsoTime),
    key_id: Hex64,
    signature: Signature,
  },
  closed,
);

/** The newest signed chain head in this instance's checkpoint file. */
export const AuditCheckpointView = Type.Object(
  { seq: Seq, hash: Hex64, at: IsoTime, signature: Signature },
  closed,
);

/** A finding of the verifier: numbers only, never event content. */
export const AuditProblemView = Type.Object(
  {
    kind: Type.String({ pattern: '^[a-z_]{1,40}$' }),
    batch: Nullable(Type.Integer({ minimum: 1 })),
    seq: Nullable(Seq),
    message: Type.String({ maxLength: 300, pattern: '^[\\x20-\\x7E]*$' }),
  },
  closed,
);

/** One run of the verifier over the database (chain, batches and manifests, checkpoints). */
export const AuditVerificationView = Type.Object(
  {
    ok: Type.Boolean(),
    at: IsoTime,
    /** Pseudonym of the administrator who ran it. */
    by: Pseudonym,
    duration_ms: Count,
    events: Count,
    last_seq: Nullable(Seq),
    batches_verified: Count,
    checkpoints: Count,
    findings: Count,
    first_problem: Nullable(AuditProblemView),
  },
  closed,
);

export const AuditIntegrityReply = Type.Object(
  {
    /** Events in the database, and the chain's head (its newest event). */
    events: Count,
    chain_head: Nullable(Type.Object({ seq: Seq, hash: Hex64 }, closed)),
    latest_manifest: Nullable(AuditManifestView),
    /** Events after the newest sealed batch (sealed within `audit.batchIntervalS`). */
    unsealed_events: Count,
    latest_checkpoint: Nullable(AuditCheckpointView),
    /** The last POST /admin/audit/verify on any instance; null when none is remembered. */
    last_verification: Nullable(AuditVerificationView),
  },
  closed,
);

export type AuditExportQueryT = Static<typeof AuditExportQuery>;
export type AuditManifestViewT = Static<typeof AuditManifestView>;
export type AuditCheckpointViewT = Static<typeof AuditCheckpointView>;
export type AuditProblemViewT = Static<typeof AuditProblemView>;
export type AuditVerificationViewT = Static<typeof AuditVerificationView>;
export type AuditIntegrityReplyT = Static<typeof AuditIntegrityReply>;
