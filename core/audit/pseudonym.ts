import { createHmac } from 'node:crypto';

/**
 * The pseudonymous user id written to audit events: `u-` + the first 96 bits of
 * HMAC-SHA256(pseudonym key, internal user id), hex. Stable per deployment (so a SIEM can
 * correlate one user's events) and not reversible without the backend's key and database.
 */
export function pseudonymousUserId(pseudonymKey: Uint8Array, internalUserId: string): string {
  if (pseudonymKey.byteLength < 32) throw new RangeError('pseudonym key must be at least 32 bytes');
  const mac = createHmac('sha256', pseudonymKey).update(internalUserId, 'utf8').digest();
  const id = `u-${mac.subarray(0, 12).toString('hex')}`;
  mac.fill(0);
  return id;
}
