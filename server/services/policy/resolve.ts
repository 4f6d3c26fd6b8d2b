// Which policy applies to a user (issue #14, docs/policies.md#precedence): the user's own
// assignment; else the assignment of the user's group with the lowest priority number (ties: the
// group name, so the answer never depends on row order); else the built-in default made from the
// server configuration (`p-default`, version 0 — what every session got before policies existed).
import { Value } from 'typebox/value';
import { type PolicyDocument, PolicyDocumentSchema, type PolicyRef } from '../../../core/api/policy.js';
import { fromWireId, toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../config.js';
import type { AppContext } from '../../context.js';

export const DEFAULT_POLICY_ID = 'p-default';
export const DEFAULT_POLICY_NAME = 'default';

export interface EffectivePolicy {
  readonly ref: PolicyRef;
  readonly document: PolicyDocument;
}

/** `p-…@version`: how audit events and the session watcher name a policy version. */
export function policyTag(ref: { readonly policy_id: string; readonly version: number }): string {
  return `${ref.policy_id}@${ref.version}`;
}

type ConfigPart = Pick<ServerConfig, 'sessionLifetimeS' | 'idleTimeoutS' | 'dns' | 'requireKillSwitch'>;

/** The built-in default: full tunnel to whatever the gateway serves, no restriction beyond config. */
export function defaultPolicyDocument(config: ConfigPart): PolicyDocument {
  return {
    tunnel: { mode: 'full', routes: [] },
    dns: { servers: [...config.dns.servers], search_domains: [...config.dns.searchDomains] },
    // The configuration's values as they are (the default is never checked against the rules
    // for stored documents: it is what the server was configured to do).
    session: { lifetime_s: config.sessionLifetimeS, idle_timeout_s: config.idleTimeoutS },
    gateways: ['*'],
    kill_switch: config.requireKillSwitch ? 'required' : 'optional',
    schedule: null,
    client_time_zones: [],
    geo: { allow_countries: [], deny_countries: [], allow_asns: [], deny_asns: [], allow_unknown: true },
    posture: {
      min_key_protection: 'software',
      require_phone_attestation: false,
      require_hardening: false,
      min_client_version: null,
    },
  };
}

/** A stored version's document, checked again on the way out (a row is never trusted blindly). */
export function parseStoredDocument(text: string): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Value.Check(PolicyDocumentSchema, value)) {
    throw new ViworksError('VIW_E_INTERNAL', {
      details: ['a stored policy version does not match its schema'],
    });
  }
  return value;
}

type ResolveCtx = Pick<AppContext, 'db'> & { readonly config: ConfigPart };

/** The policy in force for `userId` now. */
export async function effectivePolicyFor(ctx: ResolveCtx, userId: string): Promise<EffectivePolicy> {
  const own = await ctx.db.policyAssignment.findUnique({
    where: { subjectType_subjectId: { subjectType: 'user', subjectId: userId } },
    include: { policy: true },
  });
  if (own) return loadCurrent(ctx, own.policy, 'user', null);
  const memberships = await ctx.db.groupMember.findMany({ where: { userId }, include: { group: true } });
  if (memberships.length > 0) {
    const byGroup = new Map(memberships.map((m) => [m.groupId, m.group.name]));
    const assigned = await ctx.db.policyAssignment.findMany({
      where: { subjectType: 'group', subjectId: { in: [...byGroup.keys()] } },
      include: { policy: true },
    });
    assigned.sort(
      (a, b) => a.priority - b.priority || byGroup.get(a.subjectId)!.localeCompare(byGroup.get(b.subjectId)!),
    );
    const first = assigned[0];
    if (first) return loadCurrent(ctx, first.policy, 'group', byGroup.get(first.subjectId)!);
  }
  return {
    ref: {
      policy_id: DEFAULT_POLICY_ID,
      name: DEFAULT_POLICY_NAME,
      version: 0,
      source: 'default',
      group: null,
    },
    document: defaultPolicyDocument(ctx.config),
  };
}

async function loadCurrent(
  ctx: ResolveCtx,
  policy: { id: string; name: string; currentVersion: number },
  source: 'user' | 'group',
  group: string | null,
): Promise<EffectivePolicy> {
  const row = await ctx.db.policyVersion.findUnique({
    where: { policyId_version: { policyId: policy.id, version: policy.currentVersion } },
  });
  if (!row) throw new ViworksError('VIW_E_INTERNAL', { details: ['a policy has no current version'] });
  return {
    ref: {
      policy_id: toWireId('p', policy.id),
      name: policy.name,
      version: policy.currentVersion,
      source,
      group,
    },
    document: parseStoredDocument(row.document),
  };
}

/** Versions never change, so their documents are cached by `policy@version` (small: a few per policy). */
const versionCache = new Map<string, PolicyDocument>();
const VERSION_CACHE_MAX = 1024;

/**
 * The document of one version, as a session records it (`p-default` v0 = the default from the
 * configuration). Throws VIW_E_INTERNAL for a version that does not exist.
 */
export async function documentOfVersion(
  ctx: ResolveCtx,
  policyWireId: string,
  version: number,
): Promise<PolicyDocument> {
  if (policyWireId === DEFAULT_POLICY_ID) return defaultPolicyDocument(ctx.config);
  const key = `${policyWireId}@${version}`;
  const cached = versionCache.get(key);
  if (cached) return cached;
  const policyId = fromWireId('p', policyWireId);
  const row = policyId
    ? await ctx.db.policyVersion.findUnique({ where: { policyId_version: { policyId, version } } })
    : null;
  if (!row)
    throw new ViworksError('VIW_E_INTERNAL', {
      details: ['a session names a policy version that does not exist'],
    });
  const doc = parseStoredDocument(row.document);
  if (versionCache.size >= VERSION_CACHE_MAX) versionCache.clear();
  versionCache.set(key, doc);
  return doc;
}
