// Does a change widen anyone's access? (issue #14, docs/policies.md#dual-approval) assess() applies
// the change inside the caller's transaction and compares, for every user it affects, the policy in
// force before and after (a new version: the new document against the one it follows), with the
// same resolver login uses. It answers the reasons (relaxation.ts, each prefixed with the users it
// widens access for) and the diff an approver reads; the caller rolls back when there are reasons.

import type { PolicyDocument } from '../../../core/api/policy.js';
import type { AppContext } from '../../context.js';
import type { Db } from '../../data/client.js';
import { settingsOf } from '../gateways/gateway-row.js';
import {
  type Applied,
  applySpec,
  type ChangeSpec,
  conflict,
  notFound,
  type Proposal,
  type Tx,
} from './admin-apply.js';
import { documentDiff } from './admin-diff.js';
import { relaxations } from './relaxation.js';
import { type EffectivePolicy, effectivePolicyFor, parseStoredDocument } from './resolve.js';

const MAX_REASONS = 64;
const SHOWN_TRANSITIONS = 5;
/** A reason as the contract bounds it (a long list of added routes is cut, the diff has it all). */
const MAX_REASON = 300;

/** What `after` grants that `before` does not, each reason at most 300 characters. */
export function relaxationReasons(before: PolicyDocument, after: PolicyDocument): string[] {
  return relaxations(before, after).map(capReason);
}

const capReason = (r: string) => (r.length > MAX_REASON ? `${r.slice(0, MAX_REASON - 3)}...` : r);

export interface Assessment {
  readonly reasons: string[];
  readonly diff: string;
  readonly applied: Applied;
}

/** The users whose effective policy `spec` can change. */
async function affectedUsers(tx: Tx, spec: ChangeSpec): Promise<string[]> {
  switch (spec.kind) {
    case 'policy_version':
      return [];
    case 'assignment':
    case 'unassignment':
      if (spec.subject_type === 'user') return [spec.subject_id];
      return (
        await tx.groupMember.findMany({ where: { groupId: spec.subject_id }, select: { userId: true } })
      ).map((m) => m.userId);
    case 'member_add':
    case 'member_remove':
      return [spec.user_id];
    case 'gateway_add':
      return [];
  }
}

/** The resolver reads through the transaction (it sees the change before it commits). */
function resolverOf(tx: Tx, config: AppContext['config']) {
  // A transaction client offers the same model delegates as the database handle.
  return { db: tx as unknown as Db, config };
}

const refLabel = (e: EffectivePolicy) =>
  `${e.ref.name} v${e.ref.version} (${e.ref.source === 'group' ? `group ${e.ref.group}` : e.ref.source === 'user' ? 'own assignment' : 'built-in default'})`;

function whoList(names: readonly string[], max = 3): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

type VersionSpec = Extract<ChangeSpec, { kind: 'policy_version' }>;

/** A new version: the new document against the one it follows. */
async function assessVersion(
  tx: Tx,
  proposal: Proposal & { spec: VersionSpec },
  authorId: string,
  now: Date,
): Promise<Assessment> {
  const { spec } = proposal;
  const policy = await tx.policy.findUnique({ where: { id: spec.policy_id } });
  if (!policy) throw notFound('the policy no longer exists');
  const current = await tx.policyVersion.findUnique({
    where: { policyId_version: { policyId: policy.id, version: spec.base_version } },
  });
  if (!current) throw conflict('the policy moved on: write the change again');
  const before = parseStoredDocument(current.document);
  const applied = await applySpec(tx, spec, authorId, null, now);
  return {
    reasons: relaxationReasons(before, spec.document),
    diff: `${proposal.summary}\n${documentDiff(before, spec.document, {
      from: `${policy.name} v${spec.base_version}`,
      to: `${policy.name} v${spec.base_version + 1}`,
    })}`,
    applied,
  };
}

interface Transition {
  readonly users: string[];
  readonly before: EffectivePolicy;
  readonly after: EffectivePolicy;
  readonly reasons: string[];
}

/** Users with the same policy before and after share one transition (a group of 500: a few). */
async function transitionsOf(
  tx: Tx,
  config: AppContext['config'],
  users: readonly string[],
  before: ReadonlyMap<string, EffectivePolicy>,
): Promise<Transition[]> {
  const resolver = resolverOf(tx, config);
  const names = new Map(
    (await tx.user.findMany({ where: { id: { in: [...users] } }, select: { id: true, username: true } })).map(
      (u) => [u.id, u.username],
    ),
  );
  const byKey = new Map<string, Transition>();
  for (const u of users) {
    const b = before.get(u)!;
    const a = await effectivePolicyFor(resolver, u);
    if (b.ref.policy_id === a.ref.policy_id && b.ref.version === a.ref.version) continue;
    const key = `${refLabel(b)} -> ${refLabel(a)}`;
    let t = byKey.get(key);
    if (!t) {
      t = { users: [], before: b, after: a, reasons: relaxations(b.document, a.document) };
      byKey.set(key, t);
    }
    t.users.push(names.get(u) ?? u);
  }
  // Those that widen access first.
  return [...byKey.values()].sort((x, y) => y.reasons.length - x.reasons.length);
}

/** An assignment, an unassignment or a membership: every affected user, before and after. */
async function assessSubjects(
  tx: Tx,
  config: AppContext['config'],
  proposal: Proposal,
  authorId: string,
  now: Date,
): Promise<Assessment> {
  const resolver = resolverOf(tx, config);
  const users = await affectedUsers(tx, proposal.spec);
  const before = new Map<string, EffectivePolicy>();
  for (const u of users) before.set(u, await effectivePolicyFor(resolver, u));
  const applied = await applySpec(tx, proposal.spec, authorId, null, now);
  const all = await transitionsOf(tx, config, users, before);
  const reasons = [...new Set(all.flatMap((t) => t.reasons.map((r) => `${whoList(t.users)}: ${r}`)))].slice(
    0,
    MAX_REASONS,
  );
  const lines = [proposal.summary, `affects ${users.length} user(s); ${all.length} change policy`];
  for (const t of all.slice(0, SHOWN_TRANSITIONS)) {
    lines.push(`${whoList(t.users, 10)}: ${refLabel(t.before)} -> ${refLabel(t.after)}`);
    const d = documentDiff(t.before.document, t.after.document, {
      from: refLabel(t.before),
      to: refLabel(t.after),
    });
    if (d) lines.push(d);
  }
  if (all.length > SHOWN_TRANSITIONS)
    lines.push(`... and ${all.length - SHOWN_TRANSITIONS} more transitions`);
  return { reasons, diff: lines.join('\n'), applied };
}

/** Applies `proposal` in `tx` and says whether anyone's access widened, and how. */
export async function assess(
  tx: Tx,
  deps: Pick<AppContext, 'config'>,
  proposal: Proposal,
  authorId: string,
  now: Date,
): Promise<Assessment> {
  const { spec } = proposal;
  if (spec.kind === 'gateway_add') return assessGateway(tx, spec, authorId, now);
  return spec.kind === 'policy_version'
    ? assessVersion(tx, { ...proposal, spec }, authorId, now)
    : assessSubjects(tx, deps.config, proposal, authorId, now);
}

/**
 * A gateway that does not redirect its clients' traffic through itself (no full tunnel) widens
 * access for every user who may use it: always held for a second administrator.
 */
async function assessGateway(
  tx: Tx,
  spec: Extract<ChangeSpec, { kind: 'gateway_add' }>,
  authorId: string,
  now: Date,
): Promise<Assessment> {
  const applied = await applySpec(tx, spec, authorId, null, now);
  const settings = settingsOf(spec.gateway);
  const reasons = settings.redirect_gateway
    ? []
    : [`gateway ${spec.gateway.name} added without a full tunnel`];
  const diff = [
    `+ gateway ${spec.gateway.name} (${spec.gateway.fqdn}, ssh ${spec.gateway.ssh_host}:${spec.gateway.ssh_port})`,
    ...JSON.stringify(settings, null, 2)
      .split('\n')
      .map((l) => `+ ${l}`),
  ].join('\n');
  return { reasons, diff, applied };
}
