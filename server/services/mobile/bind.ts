// Binding a phone to a user with a one-time bind code (bind-codes.ts), and the attestation policy.
//
// Production refuses every phone until real Play Integrity / App Attest verification exists (a
// later issue): no attestation type is verifiable yet, so none is accepted (lessons.md: trust
// modes never leak into production). Development accepts any type, records the phone with
// verdict `unknown` (its posture flag), and the route logs a warning.
// A user has one active phone: binding a new one revokes the previous one (audited). The bind
// code itself is the authorization (issued by an administrator).

import { decodeKey32 } from '../../../core/api/common.js';
import type { Attestation } from '../../../core/api/mobile.js';
import { phoneFingerprint } from '../../../core/api/mobile.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../config.js';
import { Prisma } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import type { IdentityDeps } from '../auth/identity.js';
import { redeemBindCode } from './bind-codes.js';

export type TrustMode = ServerConfig['mode'];

export function checkPhoneKey(publicKey: string): { key: Uint8Array; fingerprint: string } {
  const key = decodeKey32(publicKey);
  if (!key) throw new ViworksError('VIW_E_VALIDATION', { details: ['public_key must be 32 bytes'] });
  return { key, fingerprint: phoneFingerprint(key) };
}

/** The attestation decision for a bind; throws VIW_E_ATTESTATION_REQUIRED when refused. */
export function attestationPolicy(mode: TrustMode, att: Attestation): { verdict: 'unknown' } {
  if (mode === 'production') {
    throw new ViworksError('VIW_E_ATTESTATION_REQUIRED', {
      details: [att.type === 'none' ? 'attestation is required' : 'attestation cannot be verified yet'],
    });
  }
  return { verdict: 'unknown' };
}

/** A phone may receive codes only when its binding is trusted in the current mode. */
export function assertPhoneTrusted(mode: TrustMode, phone: { attestationVerdict: string }): void {
  if (mode === 'production' && phone.attestationVerdict !== 'pass') {
    throw new ViworksError('VIW_E_ATTESTATION_REQUIRED', { details: ['phone binding is not attested'] });
  }
}

export interface BindInput {
  readonly bindCode: string;
  readonly platform: 'android' | 'ios';
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly attestation: Attestation;
}

export async function bindPhone(
  deps: IdentityDeps,
  trail: AuditTrail,
  mode: TrustMode,
  input: BindInput,
): Promise<{ id: string; verdict: 'unknown' }> {
  const { verdict } = attestationPolicy(mode, input.attestation);
  const dup = await deps.db.mobileDevice.findUnique({ where: { fingerprint: input.fingerprint } });
  if (dup) throw new ViworksError('VIW_E_DEVICE_EXISTS');
  const claims = await redeemBindCode(deps.kv, input.bindCode.replace(/[\s-]/g, ''));
  const user = claims ? await deps.db.user.findUnique({ where: { id: claims.userId } }) : null;
  if (!user) throw new ViworksError('VIW_E_BIND_CODE_INVALID');
  trail.user(user.auditId);
  const now = deps.now();
  try {
    const { row, replaced } = await deps.db.$transaction(async (tx) => {
      const old = await tx.mobileDevice.findMany({
        where: { userId: user.id, status: { not: 'revoked' } },
        select: { id: true },
      });
      await tx.mobileDevice.updateMany({
        where: { id: { in: old.map((o) => o.id) } },
        data: { status: 'revoked', revokedAt: now },
      });
      const created = await tx.mobileDevice.create({
        data: {
          userId: user.id,
          platform: input.platform,
          publicKey: input.publicKey,
          fingerprint: input.fingerprint,
          attestationType: input.attestation.type,
          attestationVerdict: verdict,
          status: 'active',
          approvedAt: now,
        },
      });
      return { row: created, replaced: old.map((o) => o.id) };
    });
    for (const id of replaced) {
      await trail.also('mobile.unbind', 'success', 'replaced by a newly bound phone', { deviceId: id });
    }
    trail.device(row.id);
    trail.note(`bound with attestation ${input.attestation.type}, verdict ${verdict}`);
    return { id: row.id, verdict };
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new ViworksError('VIW_E_DEVICE_EXISTS');
    }
    throw err;
  }
}
