// Admin API: groups (docs/policies.md). A group gathers users so one policy can be assigned to all
// of them. Membership changes go through submitChange() (admin-changes.ts): joining a group whose
// policy wins over a narrower one, or leaving the group whose policy held a user to narrower rules,
// widens that user's access and waits for a second administrator. A group that still has a policy
// assignment cannot be deleted (unassign it first, which is itself checked).
import type { CreateGroupBodyT, GroupMemberViewT, GroupViewT } from '../../../core/api/admin-policies.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Db, Prisma } from '../../data/client.js';
import { type AdminActor, auditAdmin } from '../admin/audit-events.js';
import { iso, isUniqueViolation } from '../admin/paging.js';
import { auditText, type PolicyAdminDeps, submitChange } from './admin-changes.js';

type GroupRow = Prisma.GroupModel;

async function groupByName(db: Db, name: string): Promise<GroupRow> {
  const group = await db.group.findUnique({ where: { name } });
  if (!group) throw new ViworksError('VIW_E_NOT_FOUND', { details: [`no group named ${name}`] });
  return group;
}

async function groupViews(db: Db, groups: readonly GroupRow[]): Promise<GroupViewT[]> {
  const ids = groups.map((g) => g.id);
  const counts = await db.groupMember.groupBy({
    by: ['groupId'],
    where: { groupId: { in: ids } },
    _count: { _all: true },
  });
  const assignments = await db.policyAssignment.findMany({
    where: { subjectType: 'group', subjectId: { in: ids } },
    include: { policy: { select: { name: true } } },
  });
  return groups.map((g) => {
    const a = assignments.find((x) => x.subjectId === g.id);
    return {
      id: g.id,
      name: g.name,
      description: g.description,
      members: counts.find((c) => c.groupId === g.id)?._count._all ?? 0,
      policy: a ? { name: a.policy.name, priority: a.priority } : null,
      created_at: iso(g.createdAt),
    };
  });
}

const groupView = async (db: Db, g: GroupRow) => (await groupViews(db, [g]))[0]!;

export async function listGroups(deps: Pick<PolicyAdminDeps, 'db'>) {
  const rows = await deps.db.group.findMany({ orderBy: { name: 'asc' } });
  return { groups: await groupViews(deps.db, rows) };
}

export async function createGroup(deps: PolicyAdminDeps, actor: AdminActor, body: CreateGroupBodyT) {
  const taken = () => new ViworksError('VIW_E_CONFLICT', { details: [`a group named ${body.name} exists`] });
  if (await deps.db.group.findUnique({ where: { name: body.name }, select: { id: true } })) throw taken();
  let group: GroupRow;
  try {
    group = await deps.db.group.create({
      data: { name: body.name, description: body.description ?? '', createdAt: deps.now() },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
  await auditAdmin(deps.audit, actor, {
    action: 'group.created',
    result: 'success',
    error_msg: auditText(`group ${group.name}`),
  });
  return { group: await groupView(deps.db, group) };
}

export async function showGroup(deps: Pick<PolicyAdminDeps, 'db'>, name: string) {
  const group = await groupByName(deps.db, name);
  const members = await deps.db.groupMember.findMany({
    where: { groupId: group.id },
    include: { user: { select: { username: true } } },
  });
  return {
    group: await groupView(deps.db, group),
    members: members
      .map((m) => ({ user_id: m.userId, username: m.user.username, added_at: iso(m.createdAt) }))
      .sort((a, b) => a.username.localeCompare(b.username)),
  };
}

/** Deletes a group with no policy assignment (its memberships go with it; no one's policy changes). */
export async function deleteGroup(deps: PolicyAdminDeps, actor: AdminActor, name: string) {
  const group = await groupByName(deps.db, name);
  const view = await groupView(deps.db, group);
  if (view.policy) {
    throw new ViworksError('VIW_E_CONFLICT', {
      details: [`group ${name} is assigned policy ${view.policy.name}: unassign it first`],
    });
  }
  // Conditional on "still unassigned" in one transaction, so an assignment made meanwhile stops it.
  await deps.db.$transaction(async (tx) => {
    const assigned = await tx.policyAssignment.findUnique({
      where: { subjectType_subjectId: { subjectType: 'group', subjectId: group.id } },
    });
    if (assigned)
      throw new ViworksError('VIW_E_CONFLICT', { details: [`group ${name} was assigned meanwhile`] });
    await tx.group.delete({ where: { id: group.id } });
  });
  await auditAdmin(deps.audit, actor, {
    action: 'group.deleted',
    result: 'success',
    severity: 'notice',
    error_msg: auditText(`group ${name}`),
  });
  deps.policyWatch.changed(auditText(`group ${name} deleted`));
  return { group: view };
}

async function memberTarget(deps: Pick<PolicyAdminDeps, 'db'>, name: string, userId: string) {
  const group = await groupByName(deps.db, name);
  const user = await deps.db.user.findUnique({ where: { id: userId }, select: { id: true, username: true } });
  if (!user) throw new ViworksError('VIW_E_NOT_FOUND', { details: ['no such user'] });
  const membership = await deps.db.groupMember.findUnique({
    where: { groupId_userId: { groupId: group.id, userId } },
  });
  const policy = await deps.db.policyAssignment.findUnique({
    where: { subjectType_subjectId: { subjectType: 'group', subjectId: group.id } },
    include: { policy: { select: { name: true } } },
  });
  return { group, user, membership, policyName: policy?.policy.name ?? null };
}

export async function addGroupMember(deps: PolicyAdminDeps, actor: AdminActor, name: string, userId: string) {
  const t = await memberTarget(deps, name, userId);
  if (t.membership) {
    throw new ViworksError('VIW_E_CONFLICT', { details: [`${t.user.username} is already in group ${name}`] });
  }
  const outcome = await submitChange(deps, actor, {
    spec: { kind: 'member_add', group_id: t.group.id, user_id: userId },
    summary: `add user ${t.user.username} to group ${name}`,
    policy: t.policyName,
  });
  if (outcome.status === 'pending') return outcome;
  const row = await deps.db.groupMember.findUnique({
    where: { groupId_userId: { groupId: t.group.id, userId } },
  });
  const member: GroupMemberViewT = {
    user_id: userId,
    username: t.user.username,
    added_at: iso(row?.createdAt ?? deps.now()),
  };
  return { status: 'applied' as const, group: await groupView(deps.db, t.group), member };
}

export async function removeGroupMember(
  deps: PolicyAdminDeps,
  actor: AdminActor,
  name: string,
  userId: string,
) {
  const t = await memberTarget(deps, name, userId);
  if (!t.membership) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: [`${t.user.username} is not in group ${name}`] });
  }
  const outcome = await submitChange(deps, actor, {
    spec: { kind: 'member_remove', group_id: t.group.id, user_id: userId },
    summary: `remove user ${t.user.username} from group ${name}`,
    policy: t.policyName,
  });
  if (outcome.status === 'pending') return outcome;
  const member: GroupMemberViewT = {
    user_id: userId,
    username: t.user.username,
    added_at: iso(t.membership.createdAt),
  };
  return { status: 'applied' as const, group: await groupView(deps.db, t.group), member };
}
