// What a policy change is and how it is applied (issue #14, docs/policies.md#dual-approval): the
// change as data — a new version, an assignment, an unassignment, a membership added or removed —
// stored as JSON on a pending PolicyChange and checked again when read, and applySpec(), the writes
// it makes inside a transaction, each first checking that the world is still as the change
// expects (the policy's version, the subject's assignment, the membership), else CONFLICT.
import { type Static, Type } from 'typebox';
import { AddGatewayBody } from '../../../core/api/admin-gateways.js';
import { SUBJECT_TYPES } from '../../../core/api/admin-policies.js';
import { PolicyDocumentSchema } from '../../../core/api/policy.js';
import { canonicalJson } from '../../../core/audit/chain.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { Prisma } from '../../data/client.js';
import { writeGatewayRow } from '../gateways/gateway-row.js';

export type Tx = Prisma.TransactionClient;

export const conflict = (detail: string) => new ViworksError('VIW_E_CONFLICT', { details: [detail] });
export const notFound = (detail: string) => new ViworksError('VIW_E_NOT_FOUND', { details: [detail] });

// ── What a change does (stored as JSON in PolicyChange.change, checked again when read) ──────────
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Prior = Type.Object({ policy_id: Uuid, priority: Type.Integer() }, closed);
const Subject = { subject_type: Type.Enum(SUBJECT_TYPES), subject_id: Uuid };
const ChangeSpecSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('policy_version'),
      policy_id: Uuid,
      /** The version the new one follows: approval refuses when the policy moved on. */
      base_version: Type.Integer({ minimum: 1 }),
      document: PolicyDocumentSchema,
    },
    closed,
  ),
  Type.Object(
    {
      kind: Type.Literal('assignment'),
      ...Subject,
      policy_id: Uuid,
      priority: Type.Integer(),
      /** The subject's assignment when the change was made: approval refuses when it changed. */
      before: Type.Union([Prior, Type.Null()]),
    },
    closed,
  ),
  Type.Object({ kind: Type.Literal('unassignment'), ...Subject, before: Prior }, closed),
  Type.Object({ kind: Type.Literal('member_add'), group_id: Uuid, user_id: Uuid }, closed),
  Type.Object({ kind: Type.Literal('member_remove'), group_id: Uuid, user_id: Uuid }, closed),
  Type.Object({ kind: Type.Literal('gateway_add'), gateway: AddGatewayBody }, closed),
]);
const StoredChangeSchema = Type.Object(
  {
    summary: Type.String({ maxLength: 300 }),
    policy: Type.Union([Type.String({ maxLength: 63 }), Type.Null()]),
    spec: ChangeSpecSchema,
  },
  closed,
);
export type ChangeSpec = Static<typeof ChangeSpecSchema>;
export type StoredChange = Static<typeof StoredChangeSchema>;
const storedChange = strictValidator(StoredChangeSchema);

/** What an administrator asks for: the change, one line saying what it does, and its policy's name. */
export interface Proposal {
  readonly spec: ChangeSpec;
  readonly summary: string;
  readonly policy: string | null;
}

/** What applying a change wrote (a policy_version change: the new version number). */
export interface Applied {
  readonly version: number | null;
}

/** A stored change, checked against its schema (a row is never trusted blindly). */
export function parseStoredChange(text: string): StoredChange {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!storedChange.check(value))
    throw new ViworksError('VIW_E_INTERNAL', {
      details: ['a stored policy change does not match its schema'],
    });
  return value;
}

// ── Applying: the writes, with the checks that the world is still as the change expects ─────────
async function sameAssignment(
  tx: Tx,
  subjectType: 'user' | 'group',
  subjectId: string,
  expected: { policy_id: string; priority: number } | null,
) {
  const row = await tx.policyAssignment.findUnique({
    where: { subjectType_subjectId: { subjectType, subjectId } },
  });
  const same =
    expected === null
      ? row === null
      : row !== null && row.policyId === expected.policy_id && row.priority === expected.priority;
  if (!same) throw conflict("the subject's assignment changed since this change was made");
  return row;
}

async function subjectExists(tx: Tx, type: 'user' | 'group', id: string): Promise<void> {
  const found =
    type === 'user'
      ? await tx.user.findUnique({ where: { id }, select: { id: true } })
      : await tx.group.findUnique({ where: { id }, select: { id: true } });
  if (!found) throw notFound(`the ${type} no longer exists`);
}

/** Performs `spec` in `tx`; throws CONFLICT / NOT_FOUND when the state it expects is gone. */
export async function applySpec(
  tx: Tx,
  spec: ChangeSpec,
  authorId: string,
  approverId: string | null,
  now: Date,
): Promise<Applied> {
  switch (spec.kind) {
    case 'policy_version': {
      const next = spec.base_version + 1;
      const moved = await tx.policy.updateMany({
        where: { id: spec.policy_id, currentVersion: spec.base_version },
        data: { currentVersion: next },
      });
      if (moved.count !== 1) {
        if (!(await tx.policy.findUnique({ where: { id: spec.policy_id }, select: { id: true } })))
          throw notFound('the policy no longer exists');
        throw conflict(
          `the policy has a newer version than ${spec.base_version} now: write the change again`,
        );
      }
      await tx.policyVersion.create({
        data: {
          policyId: spec.policy_id,
          version: next,
          document: canonicalJson(spec.document),
          authorId,
          approverId,
          createdAt: now,
        },
      });
      return { version: next };
    }
    case 'assignment': {
      await sameAssignment(tx, spec.subject_type, spec.subject_id, spec.before);
      await subjectExists(tx, spec.subject_type, spec.subject_id);
      if (!(await tx.policy.findUnique({ where: { id: spec.policy_id }, select: { id: true } })))
        throw notFound('the policy no longer exists');
      const key = { subjectType: spec.subject_type, subjectId: spec.subject_id };
      await tx.policyAssignment.upsert({
        where: { subjectType_subjectId: key },
        create: { ...key, policyId: spec.policy_id, priority: spec.priority, createdAt: now },
        update: { policyId: spec.policy_id, priority: spec.priority, createdAt: now },
      });
      return { version: null };
    }
    case 'unassignment': {
      const row = await sameAssignment(tx, spec.subject_type, spec.subject_id, spec.before);
      await tx.policyAssignment.delete({ where: { id: row!.id } });
      return { version: null };
    }
    case 'member_add': {
      await subjectExists(tx, 'group', spec.group_id);
      await subjectExists(tx, 'user', spec.user_id);
      const key = { groupId: spec.group_id, userId: spec.user_id };
      if (await tx.groupMember.findUnique({ where: { groupId_userId: key } }))
        throw conflict('the user is already a member of the group');
      await tx.groupMember.create({ data: { ...key, createdAt: now } });
      return { version: null };
    }
    case 'member_remove': {
      const removed = await tx.groupMember.deleteMany({
        where: { groupId: spec.group_id, userId: spec.user_id },
      });
      if (removed.count !== 1) throw notFound('the user is not a member of the group');
      return { version: null };
    }
    case 'gateway_add':
      // VIW_E_CONFLICT when a gateway of that name was registered meanwhile.
      await writeGatewayRow(tx, spec.gateway);
      return { version: null };
  }
}
