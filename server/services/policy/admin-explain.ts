// Admin API: explain (issue #14, docs/policies.md#explain) — which policy applies to a user and what
// every rule says, for a device, a source address, a gateway and a moment the administrator names.
// The same resolver (resolve.ts), facts (facts.ts) and evaluator (evaluate.ts) as login, bootstrap
// and the session watcher: explain answers what they would decide.
import { isIP } from 'node:net';
import type { ExplainQueryT, ExplainReplyT } from '../../../core/api/admin-policies.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AppContext } from '../../context.js';
import { iso } from '../admin/paging.js';
import { evaluatePolicy } from './evaluate.js';
import { gatherFacts } from './facts.js';
import { effectivePolicyFor } from './resolve.js';

export type ExplainDeps = Pick<AppContext, 'db' | 'config' | 'geo' | 'now'>;

export async function explainPolicy(deps: ExplainDeps, q: ExplainQueryT): Promise<ExplainReplyT> {
  const user = await deps.db.user.findUnique({ where: { id: q.user }, select: { id: true, username: true } });
  if (!user) throw new ViworksError('VIW_E_NOT_FOUND', { details: ['no such user'] });
  const device = q.device
    ? await deps.db.desktopDevice.findUnique({
        where: { id: q.device },
        select: { id: true, userId: true, keyProtection: true, clientVersion: true },
      })
    : null;
  if (q.device && (!device || device.userId !== user.id)) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['no such device of this user'] });
  }
  if (q.ip !== undefined && isIP(q.ip) === 0) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['querystring/ip: not an IP address'] });
  }
  const at = q.at === undefined ? deps.now() : new Date(q.at);
  if (Number.isNaN(at.getTime())) {
    throw new ViworksError('VIW_E_VALIDATION', { details: ['querystring/at: not a time'] });
  }
  const effective = await effectivePolicyFor(deps, user.id);
  const facts = await gatherFacts(deps, {
    userId: user.id,
    device: device ? { keyProtection: device.keyProtection, clientVersion: device.clientVersion } : null,
    sourceIp: q.ip ?? null,
    // The daemon declares its hardening at login; explain cannot know it.
    hardened: null,
    gateway: q.gateway ?? null,
    at,
  });
  const verdict = evaluatePolicy(effective.document, facts);
  return {
    policy: effective.ref,
    allowed: verdict.allowed,
    denied_by: verdict.deniedBy,
    code: verdict.code,
    rules: [...verdict.rules],
    facts: {
      user_id: user.id,
      username: user.username,
      device_id: device?.id ?? null,
      key_protection: device?.keyProtection ?? null,
      client_version: device?.clientVersion ?? null,
      hardened: null,
      phone_attested: facts.phoneAttested,
      ip: q.ip ?? null,
      country: facts.country,
      asn: facts.asn,
      gateway: facts.gateway,
      at: iso(at),
    },
  };
}
