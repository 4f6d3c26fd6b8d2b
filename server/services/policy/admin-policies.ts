// Admin API: access policies (docs/policies.md). A policy is a name and immutable numbered versions;
// every document is checked whole (schema at the route, then policyDocumentProblems) and refused
// with every problem listed before anything is written. New versions, assignments and
// unassignments go through submitChange() (admin-changes.ts): applied at once when they widen no
// one's access, otherwise pending a second administrator (202).
import {
  type AssignmentViewT,
  type AssignPolicyBodyT,
  type CreatePolicyBodyT,
  DEFAULT_GROUP_PRIORITY,
  type PolicyDiffQueryT,
  type PolicyVersionSummaryT,
  type PolicyVersionViewT,
  type PolicyViewT,
  RESERVED_POLICY_NAMES,
  type UnassignPolicyBodyT,
} from '../../../core/api/admin-policies.js';
import type { PolicyDocument } from '../../../core/api/policy.js';
import { canonicalJson } from '../../../core/audit/chain.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db, Policy, Prisma } from '../../data/client.js';
import { type AdminActor, auditAdmin } from '../admin/audit-events.js';
import { iso, isUniqueViolation } from '../admin/paging.js';
import { relaxationReasons } from './admin-assess.js';
import { auditText, type PolicyAdminDeps, submitChange } from './admin-changes.js';
import { documentDiff } from './admin-diff.js';
import { policyDocumentProblems } from './check.js';
import { parseStoredDocument } from './resolve.js';

type VersionRow = Prisma.PolicyVersionModel;
type AssignmentRow = Prisma.PolicyAssignmentModel;

const MAX_DETAILS = 32;

/** Refuses a document with every problem the schema could not see (paths under /document). */
export function checkDocument(doc: PolicyDocument): void {
  // Paths relative to the request body: `/document/…`, also where a problem names another field.
  const problems = policyDocumentProblems(doc).map((p) => p.replace(/(^| )\/(?=[a-z_])/g, '$1/document/'));
  if (problems.length === 0) return;
  const details =
    problems.length > MAX_DETAILS
      ? [...problems.slice(0, MAX_DETAILS - 1), `... and ${problems.length - MAX_DETAILS + 1} more`]
      : problems;
  throw new ViworksError('VIW_E_VALIDATION', { details });
}

export async function policyByName(db: Db, name: string): Promise<Policy> {
  const policy = await db.policy.findUnique({ where: { name } });
  if (!policy) throw new ViworksError('VIW_E_NOT_FOUND', { details: [`no policy named ${name}`] });
  return policy;
}

async function usernames(db: Db, ids: readonly (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((i): i is string => i !== null))];
  const rows = await db.user.findMany({
    where: { id: { in: wanted } },
    select: { id: true, username: true },
  });
  return new Map(rows.map((u) => [u.id, u.username]));
}

async function policyViews(db: Db, policies: readonly Policy[]): Promise<PolicyViewT[]> {
  if (policies.length === 0) return [];
  const ids = policies.map((p) => p.id);
  const current = await db.policyVersion.findMany({
    where: { OR: policies.map((p) => ({ policyId: p.id, version: p.currentVersion })) },
    select: { policyId: true, createdAt: true },
  });
  const assigned = await db.policyAssignment.groupBy({
    by: ['policyId', 'subjectType'],
    where: { policyId: { in: ids } },
    _count: { _all: true },
  });
  const count = (policyId: string, type: 'user' | 'group') =>
    assigned.find((a) => a.policyId === policyId && a.subjectType === type)?._count._all ?? 0;
  return policies.map((p) => ({
    id: p.id,
    policy_id: toWireId('p', p.id),
    name: p.name,
    current_version: p.currentVersion,
    assigned_users: count(p.id, 'user'),
    assigned_groups: count(p.id, 'group'),
    created_at: iso(p.createdAt),
    updated_at: iso(current.find((v) => v.policyId === p.id)?.createdAt ?? p.createdAt),
  }));
}

const policyView = async (db: Db, p: Policy) => (await policyViews(db, [p]))[0]!;

function versionSummary(v: VersionRow, names: Map<string, string>): PolicyVersionSummaryT {
  return {
    version: v.version,
    author_id: v.authorId,
    author: names.get(v.authorId) ?? null,
    approver_id: v.approverId,
    approver: v.approverId ? (names.get(v.approverId) ?? null) : null,
    created_at: iso(v.createdAt),
  };
}

async function versionView(db: Db, v: VersionRow): Promise<PolicyVersionViewT> {
  const names = await usernames(db, [v.authorId, v.approverId]);
  return { ...versionSummary(v, names), document: parseStoredDocument(v.document) };
}

async function versionRow(db: Db, policy: Policy, version: number): Promise<VersionRow> {
  const row = await db.policyVersion.findUnique({
    where: { policyId_version: { policyId: policy.id, version } },
  });
  if (!row)
    throw new ViworksError('VIW_E_NOT_FOUND', {
      details: [`policy ${policy.name} has no version ${version}`],
    });
  return row;
}

/** Views of assignments, the subject named by username or group name. */
export async function assignmentViews(db: Db, rows: readonly AssignmentRow[]): Promise<AssignmentViewT[]> {
  const users = await usernames(
    db,
    rows.filter((r) => r.subjectType === 'user').map((r) => r.subjectId),
  );
  const groups = new Map(
    (
      await db.group.findMany({
        where: { id: { in: rows.filter((r) => r.subjectType === 'group').map((r) => r.subjectId) } },
        select: { id: true, name: true },
      })
    ).map((g) => [g.id, g.name]),
  );
  const policies = new Map(
    (
      await db.policy.findMany({
        where: { id: { in: [...new Set(rows.map((r) => r.policyId))] } },
        select: { id: true, name: true },
      })
    ).map((p) => [p.id, p.name]),
  );
  return rows.map((r) => ({
    subject_type: r.subjectType,
    subject_id: r.subjectId,
    subject: (r.subjectType === 'user' ? users : groups).get(r.subjectId) ?? r.subjectId,
    policy: policies.get(r.policyId) ?? r.policyId,
    priority: r.subjectType === 'group' ? r.priority : null,
    created_at: iso(r.createdAt),
  }));
}

export async function listPolicies(deps: Pick<PolicyAdminDeps, 'db'>) {
  const rows = await deps.db.policy.findMany({ orderBy: { name: 'asc' } });
  return { policies: await policyViews(deps.db, rows) };
}

export async function createPolicy(deps: PolicyAdminDeps, actor: AdminActor, body: CreatePolicyBodyT) {
  if ((RESERVED_POLICY_NAMES as readonly string[]).includes(body.name)) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: [`/name: ${RESERVED_POLICY_NAMES.join(', ')} are reserved`],
    });
  }
  checkDocument(body.document);
  const taken = () => new ViworksError('VIW_E_CONFLICT', { details: [`a policy named ${body.name} exists`] });
  if (await deps.db.policy.findUnique({ where: { name: body.name }, select: { id: true } })) throw taken();
  const now = deps.now();
  let policy: Policy;
  try {
    // One statement: the policy and its version 1 exist together or not at all.
    policy = await deps.db.policy.create({
      data: {
        name: body.name,
        currentVersion: 1,
        createdAt: now,
        versions: {
          create: {
            version: 1,
            document: canonicalJson(body.document),
            authorId: actor.userId,
            createdAt: now,
          },
        },
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
  await auditAdmin(deps.audit, actor, {
    action: 'policy.created',
    result: 'success',
    policy_id: `${toWireId('p', policy.id)}@1`,
    error_msg: auditText(`policy ${policy.name} v1`),
  });
  return {
    policy: await policyView(deps.db, policy),
    version: await versionView(deps.db, await versionRow(deps.db, policy, 1)),
  };
}

export async function showPolicy(deps: Pick<PolicyAdminDeps, 'db'>, name: string) {
  const policy = await policyByName(deps.db, name);
  const versions = await deps.db.policyVersion.findMany({
    where: { policyId: policy.id },
    orderBy: { version: 'desc' },
  });
  const names = await usernames(
    deps.db,
    versions.flatMap((v) => [v.authorId, v.approverId]),
  );
  const current = versions.find((v) => v.version === policy.currentVersion);
  if (!current) throw new ViworksError('VIW_E_INTERNAL', { details: ['a policy has no current version'] });
  const assignments = await deps.db.policyAssignment.findMany({
    where: { policyId: policy.id },
    orderBy: [{ subjectType: 'asc' }, { priority: 'asc' }, { createdAt: 'asc' }],
  });
  return {
    policy: await policyView(deps.db, policy),
    current: { ...versionSummary(current, names), document: parseStoredDocument(current.document) },
    versions: versions.map((v) => versionSummary(v, names)),
    assignments: await assignmentViews(deps.db, assignments),
  };
}

export async function showPolicyVersion(deps: Pick<PolicyAdminDeps, 'db'>, name: string, version: string) {
  const policy = await policyByName(deps.db, name);
  return {
    policy: await policyView(deps.db, policy),
    version: await versionView(deps.db, await versionRow(deps.db, policy, Number(version))),
  };
}

/** A new version: applied at once unless it relaxes the current one (then pending, 202). */
export async function updatePolicy(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  name: string,
  document: PolicyDocument,
) {
  checkDocument(document);
  const policy = await policyByName(deps.db, name);
  const current = await versionRow(deps.db, policy, policy.currentVersion);
  if (current.document === canonicalJson(document)) {
    throw new ViworksError('VIW_E_CONFLICT', {
      details: [`the document is the same as version ${policy.currentVersion}`],
    });
  }
  const next = policy.currentVersion + 1;
  const outcome = await submitChange(deps, actor, {
    spec: { kind: 'policy_version', policy_id: policy.id, base_version: policy.currentVersion, document },
    summary: `new version ${next} of policy ${policy.name}`,
    policy: policy.name,
  });
  if (outcome.status === 'pending') return outcome;
  const updated = await policyByName(deps.db, name);
  return {
    status: 'applied' as const,
    policy: await policyView(deps.db, updated),
    version: await versionView(deps.db, await versionRow(deps.db, updated, outcome.applied.version ?? next)),
  };
}

export async function diffPolicy(
  deps: Pick<PolicyAdminDeps, 'db' | 'now'>,
  name: string,
  q: PolicyDiffQueryT,
) {
  const policy = await policyByName(deps.db, name);
  const to = q.to === undefined ? policy.currentVersion : Number(q.to);
  const from = q.from === undefined ? to - 1 : Number(q.from);
  if (from < 1) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: [`querystring/from: version ${to} is the first; give from and to`],
    });
  }
  const before = parseStoredDocument((await versionRow(deps.db, policy, from)).document);
  const after = parseStoredDocument((await versionRow(deps.db, policy, to)).document);
  return {
    policy: policy.name,
    from,
    to,
    diff: documentDiff(before, after, { from: `${policy.name} v${from}`, to: `${policy.name} v${to}` }),
    relaxations: relaxationReasons(before, after),
  };
}

// ── Assignments ─────────────────────────────────────────────────────────────────────────────────
interface Subject {
  readonly type: 'user' | 'group';
  readonly id: string;
  readonly label: string;
}

async function subjectOf(db: Db, body: { user_id?: string | undefined; group?: string | undefined }) {
  if ((body.user_id === undefined) === (body.group === undefined)) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['/: give exactly one of user_id and group'] });
  }
  if (body.user_id !== undefined) {
    const user = await db.user.findUnique({ where: { id: body.user_id }, select: { username: true } });
    if (!user) throw new ViworksError('VIW_E_NOT_FOUND', { details: ['no such user'] });
    return { type: 'user', id: body.user_id, label: `user ${user.username}` } satisfies Subject;
  }
  const group = await db.group.findUnique({ where: { name: body.group! } });
  if (!group) throw new ViworksError('VIW_E_NOT_FOUND', { details: [`no group named ${body.group}`] });
  return { type: 'group', id: group.id, label: `group ${group.name}` } satisfies Subject;
}

const assignmentOf = (db: Db, s: Subject) =>
  db.policyAssignment.findUnique({
    where: { subjectType_subjectId: { subjectType: s.type, subjectId: s.id } },
  });

export async function assignPolicy(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  name: string,
  body: AssignPolicyBodyT,
) {
  const subject: Subject = await subjectOf(deps.db, body);
  if (subject.type === 'user' && body.priority !== undefined) {
    throw new ViworksError('VIW_E_VALIDATION', {
      details: ["/priority: only a group's assignment has a priority"],
    });
  }
  const policy = await policyByName(deps.db, name);
  const priority = body.priority ?? DEFAULT_GROUP_PRIORITY;
  const before = await assignmentOf(deps.db, subject);
  if (before && before.policyId === policy.id && before.priority === priority) {
    throw new ViworksError('VIW_E_CONFLICT', { details: [`${subject.label} is already assigned ${name}`] });
  }
  const replaced = before
    ? ` (replacing ${(await deps.db.policy.findUnique({ where: { id: before.policyId } }))?.name ?? 'another policy'})`
    : '';
  const outcome = await submitChange(deps, actor, {
    spec: {
      kind: 'assignment',
      subject_type: subject.type,
      subject_id: subject.id,
      policy_id: policy.id,
      priority,
      before: before ? { policy_id: before.policyId, priority: before.priority } : null,
    },
    summary: `assign policy ${policy.name} to ${subject.label}${subject.type === 'group' ? ` (priority ${priority})` : ''}${replaced}`,
    policy: policy.name,
  });
  if (outcome.status === 'pending') return outcome;
  const row = await assignmentOf(deps.db, subject);
  if (!row) throw new ViworksError('VIW_E_CONFLICT', { details: ['the assignment changed meanwhile'] });
  return { status: 'applied' as const, assignment: (await assignmentViews(deps.db, [row]))[0]! };
}

/** Removes a subject's assignment to this policy; the subject falls back (which may widen: 202). */
export async function unassignPolicy(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  name: string,
  body: UnassignPolicyBodyT,
) {
  const subject: Subject = await subjectOf(deps.db, body);
  const policy = await policyByName(deps.db, name);
  const row = await assignmentOf(deps.db, subject);
  if (!row || row.policyId !== policy.id) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: [`${subject.label} is not assigned ${name}`] });
  }
  const view = (await assignmentViews(deps.db, [row]))[0]!;
  const outcome = await submitChange(deps, actor, {
    spec: {
      kind: 'unassignment',
      subject_type: subject.type,
      subject_id: subject.id,
      before: { policy_id: row.policyId, priority: row.priority },
    },
    summary: `unassign policy ${policy.name} from ${subject.label}`,
    policy: policy.name,
  });
  if (outcome.status === 'pending') return outcome;
  return { status: 'applied' as const, assignment: view };
}
