// Wire contract of /admin/groups and /admin/policies (docs/policies.md): groups and their members,
// policies as immutable numbered versions, assignments to users and groups, the dual-approval queue
// of changes that widen access, and `explain`. Objects are closed; times are ISO-8601 UTC; users,
// devices and changes are named by id, groups and policies by name.
//
// A request that would widen someone's access is not applied: it answers 202 with the pending
// change (PendingChangeReply, `status: "pending"`) and waits for a second administrator. Every
// other change answers 200/201 with `status: "applied"`.
import { type Static, type TSchema, Type } from 'typebox';
import { wireIdPattern } from '../bootstrap/wire-ids.js';
import { Id } from './admin.js';
import { closed, IpAddress } from './common.js';
import { KEY_PROTECTIONS } from './device.js';
import {
  GroupName,
  POLICY_RULES,
  PolicyDocumentSchema,
  PolicyName,
  PolicyRefSchema,
  RuleVerdictSchema,
} from './policy.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({
  maxLength: 30,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
});
const StoredUsername = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' });
const StoredName = Type.String({ minLength: 1, maxLength: 63 });
const Count = Type.Integer({ minimum: 0 });
const Version = Type.Integer({ minimum: 1 });
/** Path and query parameters are not coerced: a version number arrives as a patterned string. */
const VersionText = Type.String({ pattern: '^[1-9][0-9]{0,8}$' });
const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' });
const Cursor = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });
const WirePolicyId = Type.String({ maxLength: 40, pattern: wireIdPattern('p') });
/** A line diff of canonical pretty JSON (`--- a` / `+++ b` / `@@` hunks), or a change's description. */
const DiffText = Type.String({ maxLength: 262_144 });
const Reason = Type.String({ maxLength: 300 });
const Reasons = Type.Array(Reason, { maxItems: 64 });
const Applied = Type.Literal('applied');

/** Policy names the API keeps for itself: `default` is the built-in default, the others are paths. */
export const RESERVED_POLICY_NAMES = ['default', 'explain', 'changes'] as const;
/** A pending change expires when no second administrator decided within this time. */
export const POLICY_CHANGE_TTL_S = 24 * 3600;
/** Group assignments: the lowest number wins; this is the default. */
export const DEFAULT_GROUP_PRIORITY = 100;
export const GroupPriority = Type.Integer({ minimum: 0, maximum: 9999 });
export const SUBJECT_TYPES = ['user', 'group'] as const;

// ── Groups ──────────────────────────────────────────────────────────────────────────────────────
const Description = Type.String({ maxLength: 200, pattern: '^[\\x20-\\x7E]*$' });

export const GroupView = Type.Object(
  {
    id: Id,
    name: StoredName,
    description: Type.String({ maxLength: 200 }),
    members: Count,
    /** The group's policy assignment, if any. */
    policy: Nullable(Type.Object({ name: StoredName, priority: Type.Integer() }, closed)),
    created_at: IsoTime,
  },
  closed,
);
export const GroupMemberView = Type.Object(
  { user_id: Id, username: StoredUsername, added_at: IsoTime },
  closed,
);
export const GroupNameParams = Type.Object({ name: GroupName }, closed);
export const GroupMemberParams = Type.Object({ name: GroupName, user_id: Id }, closed);
export const CreateGroupBody = Type.Object(
  { name: GroupName, description: Type.Optional(Description) },
  closed,
);
export const AddGroupMemberBody = Type.Object({ user_id: Id }, closed);
export const ListGroupsReply = Type.Object({ groups: Type.Array(GroupView) }, closed);
export const GroupReply = Type.Object({ group: GroupView }, closed);
/** Members sorted by username. */
export const ShowGroupReply = Type.Object({ group: GroupView, members: Type.Array(GroupMemberView) }, closed);
export const GroupMemberAppliedReply = Type.Object(
  { status: Applied, group: GroupView, member: GroupMemberView },
  closed,
);

// ── Policies and versions ───────────────────────────────────────────────────────────────────────
export const PolicyView = Type.Object(
  {
    id: Id,
    /** The wire id sessions, bootstraps and audit events carry (`p-` + 32 hex digits). */
    policy_id: WirePolicyId,
    name: StoredName,
    current_version: Version,
    assigned_users: Count,
    assigned_groups: Count,
    created_at: IsoTime,
    /** When the current version was written. */
    updated_at: IsoTime,
  },
  closed,
);
/** A version without its document (lists). */
export const PolicyVersionSummary = Type.Object(
  {
    version: Version,
    author_id: Id,
    author: Nullable(StoredUsername),
    /** The second administrator, for a version that widened access (else null). */
    approver_id: Nullable(Id),
    approver: Nullable(StoredUsername),
    created_at: IsoTime,
  },
  closed,
);
export const PolicyVersionView = Type.Object(
  { ...PolicyVersionSummary.properties, document: PolicyDocumentSchema },
  closed,
);
export const AssignmentView = Type.Object(
  {
    subject_type: Type.Enum(SUBJECT_TYPES),
    subject_id: Id,
    /** The username or the group name. */
    subject: StoredUsername,
    policy: StoredName,
    /** Group assignments only (lower wins); null for a user's own assignment. */
    priority: Nullable(Type.Integer()),
    created_at: IsoTime,
  },
  closed,
);

export const PolicyNameParams = Type.Object({ name: PolicyName }, closed);
export const PolicyVersionParams = Type.Object({ name: PolicyName, version: VersionText }, closed);
export const CreatePolicyBody = Type.Object({ name: PolicyName, document: PolicyDocumentSchema }, closed);
export const UpdatePolicyBody = Type.Object({ document: PolicyDocumentSchema }, closed);
export const ListPoliciesReply = Type.Object({ policies: Type.Array(PolicyView) }, closed);
export const PolicyVersionReply = Type.Object({ policy: PolicyView, version: PolicyVersionView }, closed);
/** The current version with its document, every version (newest first) and every assignment. */
export const ShowPolicyReply = Type.Object(
  {
    policy: PolicyView,
    current: PolicyVersionView,
    versions: Type.Array(PolicyVersionSummary),
    assignments: Type.Array(AssignmentView),
  },
  closed,
);
export const PolicyVersionAppliedReply = Type.Object(
  { status: Applied, policy: PolicyView, version: PolicyVersionView },
  closed,
);

/** Defaults: `to` = the current version, `from` = the version before `to`. */
export const PolicyDiffQuery = Type.Object(
  { from: Type.Optional(VersionText), to: Type.Optional(VersionText) },
  closed,
);
export const PolicyDiffReply = Type.Object(
  {
    policy: StoredName,
    from: Version,
    to: Version,
    diff: DiffText,
    /** What `to` grants that `from` does not (empty: not a relaxation). */
    relaxations: Reasons,
  },
  closed,
);

/** Exactly one of user_id and group (checked by the service); priority only with group. */
export const AssignPolicyBody = Type.Object(
  {
    user_id: Type.Optional(Id),
    group: Type.Optional(GroupName),
    priority: Type.Optional(GroupPriority),
  },
  closed,
);
/** Exactly one of user_id and group; the subject's assignment must be to this policy. */
export const UnassignPolicyBody = Type.Object(
  { user_id: Type.Optional(Id), group: Type.Optional(GroupName) },
  closed,
);
/** An assignment made, or (unassign) the one removed. */
export const AssignmentAppliedReply = Type.Object({ status: Applied, assignment: AssignmentView }, closed);

// ── Pending changes (dual approval) ─────────────────────────────────────────────────────────────
export const POLICY_CHANGE_KINDS = [
  'policy_version',
  'assignment',
  'unassignment',
  'member_add',
  'member_remove',
  /** A gateway registered without a full tunnel (`gateways add --no-redirect-gateway`). */
  'gateway_add',
] as const;
export type PolicyChangeKind = (typeof POLICY_CHANGE_KINDS)[number];
export const POLICY_CHANGE_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;

export const PolicyChangeView = Type.Object(
  {
    id: Id,
    kind: Type.Enum(POLICY_CHANGE_KINDS),
    status: Type.Enum(POLICY_CHANGE_STATUSES),
    /** One line: what the change does ("new version 3 of policy office"). */
    summary: Type.String({ maxLength: 300 }),
    /** The policy the change writes or assigns (null: a membership change). */
    policy: Nullable(StoredName),
    /** Why it widens access; each phrase may name the user it widens access for. */
    reasons: Reasons,
    /** What changes, as a line diff of canonical pretty JSON, headed by who is affected. */
    diff: DiffText,
    author_id: Id,
    author: Nullable(StoredUsername),
    decider_id: Nullable(Id),
    decider: Nullable(StoredUsername),
    created_at: IsoTime,
    expires_at: IsoTime,
    decided_at: Nullable(IsoTime),
    /** An approved `policy_version` change: the version it became. */
    applied_version: Nullable(Version),
  },
  closed,
);
export type PolicyChangeViewT = Static<typeof PolicyChangeView>;

/** 202 to any change that would widen access: nothing was applied. */
export const PendingChangeReply = Type.Object(
  { status: Type.Literal('pending'), change: PolicyChangeView },
  closed,
);
export const ListPolicyChangesQuery = Type.Object(
  {
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
    /** Default `pending`. */
    status: Type.Optional(Type.Enum([...POLICY_CHANGE_STATUSES, 'all'])),
  },
  closed,
);
export const ListPolicyChangesReply = Type.Object(
  { changes: Type.Array(PolicyChangeView), next_cursor: Nullable(Cursor) },
  closed,
);
export const PolicyChangeReply = Type.Object({ change: PolicyChangeView }, closed);

// ── Explain ─────────────────────────────────────────────────────────────────────────────────────
export const ExplainQuery = Type.Object(
  {
    user: Id,
    /** A desktop device of the user: its key protection and client version become facts. */
    device: Type.Optional(Id),
    /** A source address: its country and AS become facts (the server's GeoIP databases). */
    ip: Type.Optional(IpAddress),
    /** Default: now. */
    at: Type.Optional(IsoTime),
    gateway: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    ),
  },
  closed,
);
export const ExplainFacts = Type.Object(
  {
    user_id: Id,
    username: StoredUsername,
    device_id: Nullable(Id),
    key_protection: Nullable(Type.Enum(KEY_PROTECTIONS)),
    client_version: Nullable(Type.String({ maxLength: 64 })),
    /** The daemon's hardening is declared at login; explain does not know it (null). */
    hardened: Nullable(Type.Boolean()),
    /** Null: no phone bound. */
    phone_attested: Nullable(Type.Boolean()),
    ip: Nullable(Type.String({ maxLength: 45 })),
    country: Nullable(Type.String({ pattern: '^[A-Z]{2}$' })),
    asn: Nullable(Type.Integer({ minimum: 0 })),
    gateway: Nullable(Type.String({ maxLength: 63 })),
    at: IsoTime,
  },
  closed,
);
export const ExplainReply = Type.Object(
  {
    policy: PolicyRefSchema,
    allowed: Type.Boolean(),
    /** The first rule that denied (POLICY_RULES order), and its stable code; null when allowed. */
    denied_by: Nullable(Type.Enum(POLICY_RULES)),
    code: Nullable(Type.String({ pattern: '^VIW_E_[A-Z0-9_]+$' })),
    /** Every rule's verdict, in evaluation order. */
    rules: Type.Array(RuleVerdictSchema),
    facts: ExplainFacts,
  },
  closed,
);

export type GroupViewT = Static<typeof GroupView>;
export type GroupMemberViewT = Static<typeof GroupMemberView>;
export type PolicyViewT = Static<typeof PolicyView>;
export type PolicyVersionSummaryT = Static<typeof PolicyVersionSummary>;
export type PolicyVersionViewT = Static<typeof PolicyVersionView>;
export type AssignmentViewT = Static<typeof AssignmentView>;
export type CreateGroupBodyT = Static<typeof CreateGroupBody>;
export type CreatePolicyBodyT = Static<typeof CreatePolicyBody>;
export type AssignPolicyBodyT = Static<typeof AssignPolicyBody>;
export type UnassignPolicyBodyT = Static<typeof UnassignPolicyBody>;
export type PolicyDiffQueryT = Static<typeof PolicyDiffQuery>;
export type ListPolicyChangesQueryT = Static<typeof ListPolicyChangesQuery>;
export type ExplainQueryT = Static<typeof ExplainQuery>;
export type ExplainReplyT = Static<typeof ExplainReply>;
