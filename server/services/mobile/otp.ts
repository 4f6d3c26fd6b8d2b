// What the bound phone does with challenges: read the pending one (optionally long-polling), reveal
// its code after the proof its binding calls for (attestation/reveal.ts: a user-verified WebAuthn
// assertion, an App Attest assertion or a fresh Play Integrity verdict), or deny it.
// The phone only ever sees its own user's challenge.
import { randomBytes } from 'node:crypto';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { MobileDevice } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import type { IdentityDeps } from '../auth/identity.js';
import { OTP_TTL_MS, type PhoneChallenge, txnHash } from '../auth/login-txns.js';
import type { AttestationPolicy } from './attestation/policy.js';
import { type RevealProof, revealKind, verifyRevealProof } from './attestation/reveal.js';

/** Store polls while long-polling: wake-ups cover this instance, polling covers the others. */
const POLL_MS = 1_000;

/** Names the phone's user and the phone itself in the request's audit event. */
async function tracePhone(deps: IdentityDeps, trail: AuditTrail, phone: MobileDevice): Promise<void> {
  const user = await deps.db.user.findUnique({ where: { id: phone.userId }, select: { auditId: true } });
  trail.user(user?.auditId).device(phone.id);
}

export async function pendingChallenge(
  deps: IdentityDeps,
  trail: AuditTrail,
  phone: MobileDevice,
  waitMs: number,
  signal: AbortSignal,
): Promise<PhoneChallenge | null> {
  await tracePhone(deps, trail, phone);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await deps.txns.pendingFor(phone.userId);
    const left = deadline - Date.now();
    if (found || left <= 0 || signal.aborted) return found;
    await deps.txns.waitForChallenge(phone.userId, Math.min(left, POLL_MS), signal);
  }
}

export async function denyChallenge(
  deps: IdentityDeps,
  trail: AuditTrail,
  phone: MobileDevice,
  txnId: string,
): Promise<void> {
  await tracePhone(deps, trail, phone);
  const record = await deps.txns.read(txnId);
  if (!record || record.decoy || record.userId !== phone.userId) {
    throw new ViworksError('VIW_E_NOT_FOUND', { details: ['no such pending login for this phone'] });
  }
  await deps.txns.deny(txnId, phone.userId);
  trail.note(record.purpose === 'login' ? 'login denied on phone' : 'enrollment denied on phone');
}

const revealKey = (phoneId: string, txnId: string) => `phone:reveal:${phoneId}:${txnHash(txnId)}`;

/**
 * For a phone bound with a WebAuthn credential: the challenge its user-verified assertion must
 * sign before the code is revealed (one-time, per phone and transaction, as long as the code lives).
 */
export async function revealChallenge(
  deps: IdentityDeps,
  phone: MobileDevice,
  txnId: string,
): Promise<string> {
  const challenge = randomBytes(32).toString('base64url');
  await deps.kv.set(revealKey(phone.id, txnId), challenge, OTP_TTL_MS);
  return challenge;
}

/** The pending code, once the phone proved itself over the challenge (attestation/reveal.ts). */
export async function revealCode(
  deps: IdentityDeps,
  trail: AuditTrail,
  phone: MobileDevice,
  policy: AttestationPolicy,
  input: { txnId: string } & RevealProof,
): Promise<PhoneChallenge> {
  await tracePhone(deps, trail, phone);
  if (!revealKind(phone)) {
    throw new ViworksError('VIW_E_ATTESTATION_REQUIRED', { details: ['this phone has no bound credential'] });
  }
  const pending = await deps.txns.pendingFor(phone.userId);
  const challenge = await deps.kv.take(revealKey(phone.id, input.txnId));
  if (!pending || pending.txnId !== input.txnId || !challenge) {
    throw new ViworksError('VIW_E_OTP_EXPIRED', {
      details: ['no pending code for this phone; fetch it again'],
    });
  }
  const { counter, note } = await verifyRevealProof(policy, phone, input, {
    challenge,
    txnId: input.txnId,
    now: deps.now(),
  });
  // Conditional: two reveals racing with the same counter cannot both pass.
  const moved = await deps.db.mobileDevice.updateMany({
    where: { id: phone.id, signCount: phone.signCount },
    data: { signCount: counter },
  });
  if (moved.count !== 1) throw new ViworksError('VIW_E_ATTESTATION_INVALID', { details: ['stale counter'] });
  trail.note(`code revealed for ${pending.purpose} after ${note}`);
  return pending;
}
