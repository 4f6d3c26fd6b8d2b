// The policy check at login (issue #14): after the user and the signing device match and before
// the password is even checked — so the answer is no password oracle — the policy that applies to
// the user is evaluated against the login's source, device and declared posture. A denial stops
// the login before any code is issued: the stable VIW_E_POLICY_* code, the rule in the details and
// in the audit event (error_msg).

import type { KeyProtection } from '../../../core/api/device.js';
import type { ProcessPosture } from '../../../core/api/posture.js';
import type { AppContext } from '../../context.js';
import { denialError, evaluatePolicy } from './evaluate.js';
import { gatherFacts, isHardened } from './facts.js';
import { effectivePolicyFor, policyTag } from './resolve.js';

export type AdmissionCtx = Pick<AppContext, 'db' | 'geo' | 'config' | 'now'>;

export interface Admission {
  /** `p-…@version`, for the audit event. */
  readonly policyTag: string;
}

export async function admitLogin(
  ctx: AdmissionCtx,
  i: {
    readonly userId: string;
    /** `clientVersion` as the daemon reported it with this login (null: it did not say). */
    readonly device: { readonly keyProtection: KeyProtection; readonly clientVersion: string | null };
    readonly sourceIp: string;
    readonly posture: ProcessPosture | null;
  },
): Promise<Admission> {
  const effective = await effectivePolicyFor(ctx, i.userId);
  const facts = await gatherFacts(ctx, {
    userId: i.userId,
    device: i.device,
    sourceIp: i.sourceIp,
    hardened: i.posture ? isHardened(i.posture) : null,
    // No gateway is chosen at login; the bootstrap checks the gateway rule.
    gateway: null,
    at: ctx.now(),
  });
  const verdict = evaluatePolicy(effective.document, facts);
  if (!verdict.allowed) throw denialError(verdict);
  return { policyTag: policyTag(effective.ref) };
}
