// Dual approval (issue #14, docs/policies.md#dual-approval): every change an administrator makes to
// policies, assignments or group memberships goes through submitChange(). It is applied inside a
// transaction; before it commits, the policy every affected user gets afterwards is compared with
// the one they had (for a new version, the new document with the current one). When the change
// widens anyone's access the transaction is rolled back and the change is stored instead, pending:
// a second administrator (never its author) approves it — then it is applied, in one transaction,
// exactly as it would have been — or rejects it; unanswered, it expires after 24 h. Narrowing and
// neutral changes take effect at once. Every applied change tells the session watcher
// (ctx.policyWatch), and every step is audited: a relaxation requested or approved (an author's
// refused self-approval included) at severity critical, rejected or expired at error. Pending
// changes past their expiry are marked expired by expireDue(), which the session watcher's periodic
// pass calls, so the expiry event is at most about a minute late.
import {
  type ListPolicyChangesQueryT,
  POLICY_CHANGE_TTL_S,
  type PolicyChangeKind,
  type PolicyChangeViewT,
} from '../../../core/api/admin-policies.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import type { Db, Prisma } from '../../data/client.js';
import { type AdminAction, type AdminActor, auditAdmin, type RequestMeta } from '../admin/audit-events.js';
import { iso, pageArgs, pageOf } from '../admin/paging.js';
import {
  type Applied,
  applySpec,
  type ChangeSpec,
  conflict,
  type Proposal,
  parseStoredChange,
  type StoredChange,
} from './admin-apply.js';
import { type Assessment, assess } from './admin-assess.js';
import { policyTag } from './resolve.js';

export type PolicyAdminDeps = Pick<AppContext, 'db' | 'audit' | 'config' | 'now' | 'policyWatch'>;
type PolicyChange = Prisma.PolicyChangeModel;

export type Outcome =
  | { readonly status: 'applied'; readonly applied: Applied }
  | { readonly status: 'pending'; readonly change: PolicyChangeViewT };

const MAX_DIFF = 262_144;
const MAX_REASONS = 64;
/** A group of many members is assessed member by member: more than Prisma's 5 s default. */
const TX_OPTIONS = { maxWait: 10_000, timeout: 60_000 } as const;

class Widens extends Error {
  constructor(readonly assessment: Assessment) {
    super('the change widens access');
  }
}

// ── Audit ───────────────────────────────────────────────────────────────────────────────────────
const APPLIED_ACTION: Record<PolicyChangeKind, AdminAction> = {
  policy_version: 'policy.version_created',
  assignment: 'policy.assigned',
  unassignment: 'policy.unassigned',
  member_add: 'group.member_added',
  member_remove: 'group.member_removed',
  gateway_add: 'admin.gateway_add',
};

/** Audit text: printable ASCII, at most 256 characters (the event schema). */
export const auditText = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);

/**
 * The policy and the user a change is about, for its audit events: `policy_id` as login and
 * bootstrap write it (`p-…@version`: a new version's number, else the version in force), for a
 * membership change the group's policy (null when the group has none).
 */
async function auditTargets(db: Db, spec: ChangeSpec) {
  let policy: { id: string; version: number } | null = null;
  if (spec.kind === 'gateway_add') return { policy_id: null, targetAuditId: null };
  if (spec.kind === 'policy_version') policy = { id: spec.policy_id, version: spec.base_version + 1 };
  else {
    const id =
      spec.kind === 'assignment'
        ? spec.policy_id
        : spec.kind === 'unassignment'
          ? spec.before.policy_id
          : (
              await db.policyAssignment.findUnique({
                where: { subjectType_subjectId: { subjectType: 'group', subjectId: spec.group_id } },
                select: { policyId: true },
              })
            )?.policyId;
    const row = id ? await db.policy.findUnique({ where: { id }, select: { currentVersion: true } }) : null;
    if (id && row) policy = { id, version: row.currentVersion };
  }
  const userId =
    spec.kind === 'member_add' || spec.kind === 'member_remove'
      ? spec.user_id
      : (spec.kind === 'assignment' || spec.kind === 'unassignment') && spec.subject_type === 'user'
        ? spec.subject_id
        : null;
  const user = userId ? await db.user.findUnique({ where: { id: userId }, select: { auditId: true } }) : null;
  return {
    policy_id: policy ? policyTag({ policy_id: toWireId('p', policy.id), version: policy.version }) : null,
    targetAuditId: user?.auditId ?? null,
  };
}

async function recordApplied(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  spec: ChangeSpec,
  summary: string,
): Promise<void> {
  await auditAdmin(deps.audit, actor, {
    action: APPLIED_ACTION[spec.kind],
    result: 'success',
    severity: 'notice',
    ...(await auditTargets(deps.db, spec)),
    error_msg: auditText(summary),
  });
  deps.policyWatch.changed(auditText(summary));
}

/** Severity of each dual-approval step: access widened, or an attempt at it, is critical. */
const STEP_SEVERITY = {
  requested: 'critical',
  approved: 'critical',
  // Nothing was widened, but the SIEM sees every step of a relaxation at high severity.
  rejected: 'error',
  expired: 'error',
} as const;

async function recordStep(
  deps: PolicyAdminDeps,
  who: AdminActor | RequestMeta,
  step: 'requested' | 'approved' | 'rejected' | 'expired',
  row: PolicyChange,
  stored: StoredChange,
  refusal?: { code: 'VIW_E_FORBIDDEN'; why: string },
): Promise<void> {
  await auditAdmin(deps.audit, who, {
    action: `policy.relaxation_${step}`,
    result: refusal ? 'denied' : 'success',
    severity: STEP_SEVERITY[step],
    ...(await auditTargets(deps.db, stored.spec)),
    ...(refusal ? { error_code: refusal.code } : {}),
    error_msg: auditText(`change ${row.id}: ${refusal ? `${refusal.why}; ` : ''}${stored.summary}`),
  });
}

// ── Submitting ──────────────────────────────────────────────────────────────────────────────────
/**
 * Applies `proposal` now when it widens no one's access; otherwise stores it as a pending change
 * (nothing else is written) and answers with it.
 */
export async function submitChange(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  proposal: Proposal,
): Promise<Outcome> {
  const now = deps.now();
  let applied: Applied;
  try {
    applied = await deps.db.$transaction(async (tx) => {
      const a = await assess(tx, deps, proposal, actor.userId, now);
      if (a.reasons.length > 0) throw new Widens(a);
      return a.applied;
    }, TX_OPTIONS);
  } catch (err) {
    if (!(err instanceof Widens)) throw err;
    const stored: StoredChange = { summary: proposal.summary, policy: proposal.policy, spec: proposal.spec };
    const diff = err.assessment.diff;
    const row = await deps.db.policyChange.create({
      data: {
        kind: proposal.spec.kind,
        change: JSON.stringify(stored),
        reasons: JSON.stringify(err.assessment.reasons),
        diff: diff.length > MAX_DIFF ? `${diff.slice(0, MAX_DIFF - 20)}\n... (truncated)` : diff,
        authorId: actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + POLICY_CHANGE_TTL_S * 1000),
      },
    });
    await recordStep(deps, actor, 'requested', row, stored);
    return { status: 'pending', change: (await changeViews(deps.db, [row]))[0]! };
  }
  await recordApplied(deps, actor, proposal.spec, proposal.summary);
  return { status: 'applied', applied };
}

// ── The queue: views, expiry, approve, reject ───────────────────────────────────────────────────
function parseReasons(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string').slice(0, MAX_REASONS) : [];
  } catch {
    return [];
  }
}

async function changeViews(db: Db, rows: readonly PolicyChange[]): Promise<PolicyChangeViewT[]> {
  const ids = [...new Set(rows.flatMap((r) => [r.authorId, ...(r.deciderId ? [r.deciderId] : [])]))];
  const names = new Map(
    (await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, username: true } })).map(
      (u) => [u.id, u.username],
    ),
  );
  return rows.map((r) => {
    const stored = parseStoredChange(r.change);
    const spec = stored.spec;
    return {
      id: r.id,
      kind: spec.kind,
      status: r.status,
      summary: stored.summary,
      policy: stored.policy,
      reasons: parseReasons(r.reasons),
      diff: r.diff,
      author_id: r.authorId,
      author: names.get(r.authorId) ?? null,
      decider_id: r.deciderId,
      decider: r.deciderId ? (names.get(r.deciderId) ?? null) : null,
      created_at: iso(r.createdAt),
      expires_at: iso(r.expiresAt),
      decided_at: iso(r.decidedAt),
      applied_version:
        r.status === 'approved' && spec.kind === 'policy_version' ? spec.base_version + 1 : null,
    };
  });
}

/** Marks pending changes past their expiry `expired` (each one audited). */
export async function expireDue(deps: PolicyAdminDeps, who: RequestMeta): Promise<void> {
  const now = deps.now();
  const due = await deps.db.policyChange.findMany({ where: { status: 'pending', expiresAt: { lte: now } } });
  for (const row of due) {
    const done = await deps.db.policyChange.updateMany({
      where: { id: row.id, status: 'pending' },
      data: { status: 'expired', decidedAt: now },
    });
    // The system expired it: no actor (cmd null), the request that noticed it as trace.
    if (done.count === 1)
      await recordStep(
        deps,
        { traceId: who.traceId, ip: who.ip },
        'expired',
        row,
        parseStoredChange(row.change),
      );
  }
}

async function pendingChange(deps: PolicyAdminDeps, actor: AdminActor, id: string) {
  await expireDue(deps, actor);
  const row = await deps.db.policyChange.findUnique({ where: { id } });
  if (!row) throw new ViworksError('VIW_E_NOT_FOUND');
  if (row.status !== 'pending')
    throw conflict(`the change is ${row.status}; only a pending change is decided`);
  return { row, stored: parseStoredChange(row.change) };
}

export async function listChanges(deps: PolicyAdminDeps, actor: AdminActor, q: ListPolicyChangesQueryT) {
  await expireDue(deps, actor);
  const { idBelow, orderBy, take } = pageArgs(q);
  const status = q.status ?? 'pending';
  const rows = await deps.db.policyChange.findMany({
    where: { ...idBelow, ...(status === 'all' ? {} : { status }) },
    orderBy,
    take,
  });
  const page = pageOf(rows, q.limit);
  return { changes: await changeViews(deps.db, page.items), next_cursor: page.next_cursor };
}

export async function showChange(deps: PolicyAdminDeps, actor: AdminActor, id: string) {
  await expireDue(deps, actor);
  const row = await deps.db.policyChange.findUnique({ where: { id } });
  if (!row) throw new ViworksError('VIW_E_NOT_FOUND');
  return { change: (await changeViews(deps.db, [row]))[0]! };
}

/** Applies a pending change in one transaction; never by its author. */
export async function approveChange(deps: PolicyAdminDeps, actor: AdminActor, id: string) {
  const { row, stored } = await pendingChange(deps, actor, id);
  if (row.authorId === actor.userId) {
    const why = 'the author of a change cannot approve it: another administrator must';
    await recordStep(deps, actor, 'approved', row, stored, { code: 'VIW_E_FORBIDDEN', why });
    throw new ViworksError('VIW_E_FORBIDDEN', { details: [why] });
  }
  const now = deps.now();
  await deps.db.$transaction(async (tx) => {
    const claimed = await tx.policyChange.updateMany({
      where: { id, status: 'pending', expiresAt: { gt: now } },
      data: { status: 'approved', deciderId: actor.userId, decidedAt: now },
    });
    if (claimed.count !== 1) throw conflict('the change was decided or expired meanwhile');
    return applySpec(tx, stored.spec, row.authorId, actor.userId, now);
  }, TX_OPTIONS);
  await recordStep(deps, actor, 'approved', row, stored);
  await recordApplied(deps, actor, stored.spec, stored.summary);
  return showChange(deps, actor, id);
}

/** Rejects a pending change; its author may withdraw their own change this way. */
export async function rejectChange(deps: PolicyAdminDeps, actor: AdminActor, id: string) {
  const { row, stored } = await pendingChange(deps, actor, id);
  const now = deps.now();
  const done = await deps.db.policyChange.updateMany({
    where: { id, status: 'pending' },
    data: { status: 'rejected', deciderId: actor.userId, decidedAt: now },
  });
  if (done.count !== 1) throw conflict('the change was decided or expired meanwhile');
  await recordStep(deps, actor, 'rejected', row, stored);
  return showChange(deps, actor, id);
}
