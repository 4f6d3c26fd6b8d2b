// The facts a policy is evaluated against (evaluate.ts PolicyFacts), gathered the same way at login,
// at bootstrap, for explain and by the session watcher: the source's country and AS (ctx.geo), the
// desktop device's key protection, the client version (at login and bootstrap the one the daemon
// reported with that login, auth v5 — not the enrollment's), the daemon's hardening when it was
// declared, whether the user's bound phone is attested, the gateway.
import type { KeyProtection } from '../../../core/api/device.js';
import { type ProcessPosture, postureFindings } from '../../../core/api/posture.js';
import type { AppContext } from '../../context.js';
import type { PolicyFacts } from './evaluate.js';

type FactsCtx = Pick<AppContext, 'db' | 'geo'>;

/** The daemon's declared posture counts as hardened when no check fails (docs/cli.md#process-hardening). */
export function isHardened(p: ProcessPosture): boolean {
  return postureFindings(p).length === 0;
}

export interface FactsInput {
  readonly userId: string;
  /** `clientVersion` null: the daemon did not say (a version not known meets no minimum). */
  readonly device: { readonly keyProtection: KeyProtection; readonly clientVersion: string | null } | null;
  readonly sourceIp: string | null;
  /** The hardening the daemon declared at login; null when unknown. */
  readonly hardened: boolean | null;
  readonly gateway: string | null;
  readonly at: Date;
}

export async function gatherFacts(ctx: FactsCtx, i: FactsInput): Promise<PolicyFacts> {
  const geo = i.sourceIp ? ctx.geo.describe(i.sourceIp) : null;
  const phones = await ctx.db.mobileDevice.findMany({
    where: { userId: i.userId, status: 'active' },
    select: { attestationVerdict: true },
  });
  return {
    at: i.at,
    country: geo?.country ?? null,
    asn: geo?.asn?.number ?? null,
    device: i.device
      ? {
          keyProtection: i.device.keyProtection,
          clientVersion: i.device.clientVersion,
          hardened: i.hardened,
        }
      : null,
    phoneAttested: phones.length === 0 ? null : phones.some((p) => p.attestationVerdict === 'pass'),
    gateway: i.gateway,
  };
}
