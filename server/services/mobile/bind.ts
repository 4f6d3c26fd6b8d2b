// Binding a phone to a user with a one-time bind code (bind-codes.ts), and the attestation policy.
//
// A phone proves what it is with a platform attestation over a challenge it asked for (options: a
// challenge bound to the bind code and its new request-signing key): a WebAuthn platform credential
// with `direct` attestation (the phone app; attestation/webauthn.ts), or — each only when configured
// — an App Attest attestation (native iOS app) or a Play Integrity verdict (native Android app)
// (attestation/native.ts). Verified: verdict `pass`, production-trusted. Without a verified
// attestation, production refuses the phone (lessons.md: trust modes never leak into production);
// development accepts it with verdict `unknown` (its posture flag), and the route logs a warning.
// A user has one active phone: binding a new one revokes the previous one (audited). The bind
// code itself is the authorization (issued by an administrator).

import { randomBytes } from 'node:crypto';
import { decodeKey32 } from '../../../core/api/common.js';
import type { Attestation, BindOptionsResponse } from '../../../core/api/mobile.js';
import { phoneFingerprint } from '../../../core/crypto/fingerprints.js';
import { isViworksError, ViworksError } from '../../../core/errors/viworks-error.js';
import type { ServerConfig } from '../../config.js';
import { Prisma } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import type { IdentityDeps } from '../auth/identity.js';
import { OTP_TTL_MS } from '../auth/login-txns.js';
import { checkNativePlatform, nativeAccepted, notAccepted, verifyNativeBind } from './attestation/native.js';
import type { AttestationPolicy } from './attestation/policy.js';
import { attestationColumns, type BoundAttestation, fromWebAuthn } from './attestation/verdict.js';
import { verifyWebAuthnAttestation } from './attestation/webauthn.js';
import { bindCodeHash, peekBindCode, redeemBindCode } from './bind-codes.js';

export type TrustMode = ServerConfig['mode'];

export function checkPhoneKey(publicKey: string): { key: Uint8Array; fingerprint: string } {
  const key = decodeKey32(publicKey);
  if (!key) throw new ViworksError('VIW_E_VALIDATION', { details: ['public_key must be 32 bytes'] });
  return { key, fingerprint: phoneFingerprint(key) };
}

const challengeKey = (bindCode: string, fingerprint: string) =>
  `phone:bind-challenge:${bindCodeHash(bindCode)}:${fingerprint}`;

/**
 * The WebAuthn challenge for one bind: tied to the bind code and the phone's new request-signing
 * key (the fingerprint), one-time, alive as long as an OTP. The code is only looked at, not used.
 */
export async function bindOptions(
  deps: IdentityDeps,
  policy: Pick<AttestationPolicy, 'rpId'>,
  input: { bindCode: string; fingerprint: string },
): Promise<BindOptionsResponse> {
  const claims = await peekBindCode(deps.kv, input.bindCode);
  const user = claims ? await deps.db.user.findUnique({ where: { id: claims.userId } }) : null;
  if (!user) throw new ViworksError('VIW_E_BIND_CODE_INVALID');
  const challenge = randomBytes(32).toString('base64url');
  await deps.kv.set(challengeKey(input.bindCode, input.fingerprint), challenge, OTP_TTL_MS);
  return {
    challenge,
    rp_id: policy.rpId,
    // An opaque handle, not the user id: the authenticator stores it.
    user_id: Buffer.from(user.auditId, 'utf8').toString('base64url').slice(0, 86),
    user_name: user.username,
    timeout_s: OTP_TTL_MS / 1000,
  };
}

type Decision = { verdict: 'pass'; attested: BoundAttestation } | { verdict: 'unknown'; attested: null };

const UNVERIFIED: Decision = { verdict: 'unknown', attested: null };

/** The one-time challenge of this bind code and key: taken (used up) by the first bind that tries. */
async function takeChallenge(deps: IdentityDeps, input: BindInput): Promise<string> {
  const challenge = await deps.kv.take(challengeKey(input.bindCode, input.fingerprint));
  if (!challenge) {
    throw new ViworksError('VIW_E_ATTESTATION_INVALID', {
      details: ['no challenge for this bind code and key (ask for options first), or it expired'],
    });
  }
  return challenge;
}

/** The attestation decision for a bind; throws when refused (nothing is stored then). */
async function decide(
  deps: IdentityDeps,
  mode: TrustMode,
  policy: AttestationPolicy,
  input: BindInput,
): Promise<Decision> {
  const a = input.attestation;
  switch (a.type) {
    case 'webauthn': {
      const challenge = await takeChallenge(deps, input);
      return {
        verdict: 'pass',
        attested: fromWebAuthn(await verifyWebAuthnAttestation(policy, a.registration, challenge)),
      };
    }
    case 'app_attest':
    case 'play_integrity': {
      // Unconfigured: refused in production; development trusts any phone (flagged `unknown`).
      if (!nativeAccepted(policy, a.type)) {
        if (mode === 'production') throw notAccepted(a.type);
        return UNVERIFIED;
      }
      checkNativePlatform(a.type, input.platform);
      const challenge = await takeChallenge(deps, input);
      const attested = verifyNativeBind(
        policy,
        a,
        { platform: input.platform, challenge, publicKey: input.publicKey },
        deps.now(),
      );
      return { verdict: 'pass', attested };
    }
    case 'none':
      if (mode === 'production')
        throw new ViworksError('VIW_E_ATTESTATION_REQUIRED', { details: ['attestation is required'] });
      return UNVERIFIED;
  }
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
  policy: AttestationPolicy,
  input: BindInput,
): Promise<{ id: string; verdict: 'pass' | 'unknown' }> {
  const { verdict, attested } = await decide(deps, mode, policy, input).catch((err: unknown) => {
    // Which check refused the phone (a fixed reason, never evidence bytes) goes into the audit event.
    if (isViworksError(err) && err.code.startsWith('VIW_E_ATTESTATION'))
      trail.note(`attestation refused: ${err.details[0] ?? err.code}`);
    throw err;
  });
  const dup = await deps.db.mobileDevice.findUnique({ where: { fingerprint: input.fingerprint } });
  if (dup) throw new ViworksError('VIW_E_DEVICE_EXISTS');
  const claims = await redeemBindCode(deps.kv, input.bindCode);
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
          ...(attested ? attestationColumns(attested, now) : {}),
          status: 'active',
          approvedAt: now,
        },
      });
      return { row: created, replaced: old.map((o) => o.id) };
    });
    for (const id of replaced) {
      await trail.also('mobile.unbind', 'success', 'replaced by a newly bound phone', { deviceId: id });
    }
    // Phone attestation is part of the device posture a policy may require: live sessions again.
    deps.postureChanged('a phone was bound');
    trail.device(row.id);
    trail.note(
      attested
        ? `bound with ${attested.note}, verdict pass`
        : `bound with attestation ${input.attestation.type}, verdict ${verdict}`,
    );
    return { id: row.id, verdict };
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new ViworksError('VIW_E_DEVICE_EXISTS');
    }
    throw err;
  }
}
