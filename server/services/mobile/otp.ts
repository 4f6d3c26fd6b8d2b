// What the bound phone does with challenges: read the pending one (optionally long-polling), or
// deny it. The phone only ever sees its own user's challenge.
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { MobileDevice } from '../../data/client.js';
import type { AuditTrail } from '../audit/trail.js';
import type { IdentityDeps } from '../auth/identity.js';
import type { PhoneChallenge } from '../auth/login-txns.js';

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
