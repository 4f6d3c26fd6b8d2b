// What a completed desktop login leaves on its device row for admins (the admin API's DeviceView,
// issue #17): the posture the daemon declared with that login and when it completed. The posture is
// stored as its JSON (booleans and an enum, no secret) and read back through its schema, so a value
// written by another release or by hand shows as "not reported" rather than breaking the device list.
import { type ProcessPosture, ProcessPostureSchema } from '../../../core/api/posture.js';
import { cachedValidator } from '../../../core/schema/strict.js';
import type { Db } from '../../data/client.js';

/**
 * Records a completed login on its device. A login that declared no posture clears the stored one:
 * what admins see is always the last login's declaration, never an older daemon's.
 */
export async function recordCompletedLogin(
  db: Db,
  deviceId: string,
  posture: ProcessPosture | null,
  at: Date,
): Promise<void> {
  await db.desktopDevice.update({
    where: { id: deviceId },
    data: { lastPosture: posture === null ? null : JSON.stringify(posture), lastLoginAt: at },
  });
}

/** The stored posture, or null when none was stored or the stored text is not a valid posture. */
export function storedPosture(raw: string | null): ProcessPosture | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  return cachedValidator(ProcessPostureSchema).check(value) ? value : null;
}
